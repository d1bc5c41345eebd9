{#- One replica healed, started by the reactor example (pgreplica/reactor/heal.sls):
    `pgreplica clone --if-needed` on pillar `target`, which does nothing when it streams. -#}
{%- set target = salt['pillar.get']('target', '') %}
{%- if target %}
heal {{ target }}:
  salt.function:
    - name: pgreplica.clone
    - tgt: {{ target | tojson }}
    - kwarg:
        if_needed: True
    - timeout: 3600
{%- else %}
pgreplica-heal-no-target:
  test.fail_without_changes:
    - name: pillar target (the minion to heal) is not set
{%- endif %}
