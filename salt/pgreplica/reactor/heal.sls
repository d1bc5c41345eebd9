{#- Reactor example: answers the pgreplica beacon's CRITICAL event with
    `pgreplica clone --if-needed` on the minion that sent it (pgreplica decides: a standby that
    streams again is left alone; one whose receiver is down and whose slot is gone is re-cloned).

    Master configuration:

      reactor:
        - 'salt/beacon/*/pgreplica/CRITICAL':
          - salt://pgreplica/reactor/heal.sls
      reactor_worker_threads: 1

    At most one rebuild at a time: the reaction runs the orchestration pgreplica.orch.heal, which
    waits for the clone to finish, and with reactor_worker_threads: 1 the master runs one reaction
    at a time. That limit is global to the master (every reaction, for every primary, waits), not
    per primary: Salt's reactor and orchestrate runner have no per-key queue. -#}
pgreplica-heal-{{ data['id'] }}:
  runner.state.orchestrate:
    - args:
      - mods: pgreplica.orch.heal
      - pillar:
          target: {{ data['id'] | tojson }}
