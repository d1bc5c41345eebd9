{#- Rolling rebuild of replicas, one at a time, through Salt's orchestrate runner:

      salt-run state.orchestrate pgreplica.orch.rebuild pillar='{"targets": "replica-*"}'
      salt-run state.orchestrate pgreplica.orch.rebuild pillar='{"targets": "replica-*"}' test=True

    For each minion that answers (sorted by id): `pgreplica clone` (a full re-clone: the old
    standby keeps running until the swap and its data directory is kept aside), then
    `pgreplica check` on it (streaming, caught up within the pillar's lag thresholds, the primary's
    slots). The next replica starts only after both succeeded; at the first failure the run stops
    and says which replica failed and which were not touched. test=True lists the plan and runs
    nothing. pgreplica decides every step: this file only orders them. -#}
{%- set targets = salt['pillar.get']('targets', '') %}
{%- set tgt_type = salt['pillar.get']('tgt_type', 'glob') %}
{%- set minions = (salt['saltutil.runner']('manage.up', tgt=targets, tgt_type=tgt_type) if targets else []) | sort %}
{%- if not minions %}
pgreplica-rebuild-no-targets:
  test.fail_without_changes:
    - name: "no minion answers for targets {{ targets | tojson }} (pass pillar='{\"targets\": \"replica-*\"}')"
{%- endif %}
{%- for m in minions %}
{%- set rest = minions[loop.index:] %}
rebuild {{ m }}:
  salt.function:
    - name: pgreplica.clone
    - tgt: {{ m | tojson }}
    - timeout: 3600
{%- if not loop.first %}
    - require:
      - salt: check {{ minions[loop.index0 - 1] }}
{%- endif %}

check {{ m }}:
  salt.function:
    - name: pgreplica.check
    - tgt: {{ m | tojson }}
    - require:
      - salt: rebuild {{ m }}

{%- if not opts.get('test') %}
{#- The report of a failure (never in test=True, where the steps above only say what they would do). #}
stopped at {{ m }}:
  test.fail_without_changes:
    - name: "{{ m }} failed: the rolling rebuild stopped there; not touched: {{ rest | join(', ') if rest else '(none)' }}"
    - onfail_any:
      - salt: rebuild {{ m }}
      - salt: check {{ m }}
{%- if not loop.first %}
    - require:
      - salt: check {{ minions[loop.index0 - 1] }}
{%- endif %}
{%- endif %}
{%- endfor %}
