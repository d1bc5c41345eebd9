{% from "pgreplica/map.jinja" import pgreplica with context %}
{% if pgreplica.packages %}
pgreplica-postgresql-packages:
  pkg.installed:
    - pkgs: {{ pgreplica.packages | tojson }}
{% endif %}

{% if pgreplica.binary_source %}
pgreplica-binary:
  file.managed:
    - name: {{ pgreplica.binary }}
    - source: {{ pgreplica.binary_source }}
    - makedirs: True
    - user: root
    - group: root
    - mode: '0755'
{% endif %}
