{% from "pgreplica/map.jinja" import pgreplica, dataset with context %}
pgreplica-config-directory:
  file.directory:
    - name: {{ pgreplica.config_dir }}
    - user: root
    - group: {{ pgreplica.os_group }}
    - mode: '0750'
    - makedirs: True

pgreplica-state-directory:
  file.directory:
    - name: {{ pgreplica.state_directory }}
    - user: root
    - group: root
    - mode: '0750'
    - makedirs: True

# The replication password goes into a root-only secrets file straight from
# pillar (contents_pillar): it is never part of the rendered state.
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

pgreplica-config:
  file.serialize:
    - name: {{ pgreplica.config }}
    - formatter: yaml
    - user: root
    - group: {{ pgreplica.os_group }}
    - mode: '0640'
    - dataset: {{ dataset | tojson }}
    - require:
      - file: pgreplica-config-directory
