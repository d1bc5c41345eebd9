{% from "pgreplica/map.jinja" import pgreplica with context %}
pgreplica-postgresql-packages:
  pkg.installed:
    - pkgs: {{ pgreplica.packages | tojson }}

{% if pgreplica.binary_source %}
pgreplica-binary:
  file.managed:
    - name: {{ pgreplica.binary }}
    - source: {{ pgreplica.binary_source }}
    - user: root
    - group: root
    - mode: '0755'
{% endif %}
