{% from "pgreplica/map.jinja" import pgreplica with context %}
include:
  - pgreplica.packages

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

# The configuration, rendered from pillar. check_cmd: pgreplica itself judges the new file
# (`pgreplica config check FILE`) before it replaces the old one, so that a pillar mistake
# (no primary host, a wrong type) fails this state and leaves the working file in place.
# A pgreplica without `config check` (older than the formula), or none installed yet (the
# first run, which has no working file to keep), cannot judge it: the file is then written
# unchecked and pgreplica's own commands report what is wrong with it.
{%- set binary_ok = salt['file.file_exists'](pgreplica.binary) %}
{#- Its help names the command (an older pgreplica shows another command's help instead). -#}
{%- set has_config_check = binary_ok and 'pgreplica config check' in salt['cmd.run_stdout'](
      [pgreplica.binary, 'config', 'check', '--help'], python_shell=False, ignore_retcode=True,
      output_loglevel='quiet') %}
pgreplica-config:
  file.managed:
    - name: {{ pgreplica.config }}
    - source: salt://pgreplica/files/pgreplica.yaml.jinja
    - template: jinja
    - user: root
    - group: {{ pgreplica.os_group }}
    - mode: '0640'
{%- if has_config_check %}
    - check_cmd: {{ pgreplica.binary }} config check
{%- endif %}
    - require:
      - file: pgreplica-config-directory
{%- if pgreplica.binary_source %}
      - file: pgreplica-binary
{%- endif %}
