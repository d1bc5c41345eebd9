{% from "pgreplica/map.jinja" import pgreplica with context %}
include:
  - pgreplica.config

# `pgreplica pgpass` reads the password from the secrets file itself: it is
# on no command line and in no Salt output.
pgreplica-pgpass:
  pgreplica.pgpass_present:
    - name: {{ pgreplica.os_user }}
    - config: {{ pgreplica.config }}
    - require:
      - file: pgreplica-config
      - file: pgreplica-secret
