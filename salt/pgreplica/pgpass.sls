{% from "pgreplica/map.jinja" import pgreplica with context %}
include:
  - pgreplica.config

# The password goes from pillar to pgreplica's standard input: it is on no command line and
# in no Salt output. pgreplica first proves it with a replication connection to the primary
# (pgpass --verify); if the primary refuses it, nothing is written, this state fails with
# pgreplica's message and the files holding the working password stay as they are.
pgreplica-pgpass:
  pgreplica.pgpass_present:
    - name: {{ pgreplica.os_user }}
    - config: {{ pgreplica.config }}
    - password_pillar: secrets:replica:password
    - require:
      - file: pgreplica-config

# The root-only secrets file (replication.password_file, which `primary setup` and manual
# runs read) is replaced only after the password was proven, straight from pillar
# (contents_pillar): it is never part of the rendered state.
pgreplica-secret:
  file.managed:
    - name: {{ pgreplica.secret }}
    - contents_pillar: secrets:replica:password
    - user: root
    - group: root
    - mode: '0600'
    - show_changes: False
    - require:
      - file: pgreplica-config-directory
      - pgreplica: pgreplica-pgpass
