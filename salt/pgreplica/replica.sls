{% from "pgreplica/map.jinja" import pgreplica with context %}
include:
  - pgreplica.pgpass

pgreplica-replica:
  pgreplica.replica_present:
    - name: {{ salt['pillar.get']('pgreplica:data_directory', 'standby') }}
    - config: {{ pgreplica.config }}
    - require:
      - pgreplica: pgreplica-pgpass
