# pgreplica: packages, configuration, the password file and a streaming
# standby (replica_present does nothing when the host already streams from
# the configured primary). decommission.sls is applied on its own.
include:
  - pgreplica.packages
  - pgreplica.config
  - pgreplica.pgpass
  - pgreplica.replica
