{% from "pgreplica/map.jinja" import pgreplica with context %}
# Drops the slot of pillar pgreplica:decommission_node (default: this minion)
# on the primary. Run it on any minion with the pgreplica configuration.
pgreplica-slot-absent:
  pgreplica.slot_absent:
    - name: {{ salt['pillar.get']('pgreplica:decommission_node', '') or grains['host'] }}
    - config: {{ pgreplica.config }}
