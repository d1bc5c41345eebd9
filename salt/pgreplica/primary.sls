{% from "pgreplica/map.jinja" import pgreplica with context %}
# Applied to the primary: what streaming replication needs there (wal_level, senders, slots,
# the replication role with the pillar's password, a pg_hba.conf line), checked by
# `pgreplica primary check` and applied by `pgreplica primary setup` when something is
# missing. The password goes to pgreplica on standard input, never on a command line.
include:
  - pgreplica.config

pgreplica-primary-ready:
  pgreplica.primary_ready:
    - name: {{ salt['pillar.get']('secrets:postgresql:host', grains['id']) }}
    - config: {{ pgreplica.config }}
    - password_pillar: secrets:replica:password
    - require:
      - file: pgreplica-config
