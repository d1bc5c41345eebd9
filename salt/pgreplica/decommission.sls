{% from "pgreplica/map.jinja" import pgreplica with context %}
# Drops a replica's slot on the primary. Without pillar pgreplica:decommission_node: this
# minion's own slot, exactly the one its configuration uses (pillar pgreplica:slot, else
# pgreplica's default for this host). With it: the slot pgreplica derives for that node (run it
# on any minion with the pgreplica configuration).
{%- set node = salt['pillar.get']('pgreplica:decommission_node', '') %}
pgreplica-slot-absent:
  pgreplica.slot_absent:
    - name: {{ (node or grains['id']) | tojson }}
{%- if node %}
    - node: {{ node | tojson }}
{%- endif %}
    - config: {{ pgreplica.config }}
