#!/usr/bin/env bash
# Runs once inside the local cloud's machine, on the first boot of a freshly installed root
# (scripts/cloud/cloud.sh copies it in and runs it): writes every service's configuration,
# creates and migrates the databases, starts the services in order and lets operator.py
# create what an operator of a real cloud provides. What it leaves behind is cached as one
# layer of the root, so later boots of the cloud skip all of it.
#
#   configure.sh <cloud-ip> <compute-hosts>
set -euo pipefail

IP=$1
COMPUTE_HOSTS=$2
PW=spcloud-local # every service's password: the cloud is reachable from this machine only
DB_NAMES=(keystone glance placement nova_api nova nova_cell0 neutron cinder)
KEYSTONE=http://$IP:5000

log() { printf '[cloud/configure] %s\n' "$*" >&2; }
set_ini() { crudini --set "$@"; }

# The service user's [keystone_authtoken] (or any other section with the same keys).
auth_section() { # <file> <section> <user>
  set_ini "$1" "$2" auth_type password
  set_ini "$1" "$2" auth_url "$KEYSTONE/v3"
  set_ini "$1" "$2" project_domain_name Default
  set_ini "$1" "$2" user_domain_name Default
  set_ini "$1" "$2" project_name service
  set_ini "$1" "$2" username "$3"
  set_ini "$1" "$2" password "$PW"
  set_ini "$1" "$2" region_name RegionOne
}
authtoken() { # <file> <user>
  auth_section "$1" keystone_authtoken "$2"
  set_ini "$1" keystone_authtoken www_authenticate_uri "$KEYSTONE/v3"
  set_ini "$1" keystone_authtoken memcached_servers 127.0.0.1:11211
  set_ini "$1" keystone_authtoken service_token_roles_required true
}
db_url() { printf 'mysql+pymysql://openstack:%s@127.0.0.1/%s' "$PW" "$1"; }

# Debian's uwsgi files run 16 processes with headers that break connection reuse. One thread
# per process: nova-api and neutron-api hang on concurrent requests with more (greenlet
# errors, deadlocks); Connection: close because Debian strips Content-Length and a client
# reusing the connection after a 204 gets ECONNRESET.
tune_uwsgi() { # <ini> <processes>
  crudini --set "$1" uwsgi processes "$2"
  crudini --set "$1" uwsgi threads 1
  grep -q '^add-header = Connection: close' "$1" || printf 'add-header = Connection: close\n' >>"$1"
}

# --- databases, message queue, cache ------------------------------------------------------
log "databases"
cat >/etc/mysql/mariadb.conf.d/99-openstack.cnf <<EOF
[mysqld]
bind-address = 127.0.0.1
max_connections = 1000
innodb_buffer_pool_size = 256M
innodb_flush_log_at_trx_commit = 2
EOF
systemctl restart mariadb
for db in "${DB_NAMES[@]}"; do
  mysql -e "CREATE DATABASE IF NOT EXISTS $db"
done
mysql -e "CREATE USER IF NOT EXISTS 'openstack'@'127.0.0.1' IDENTIFIED BY '$PW';
  CREATE USER IF NOT EXISTS 'openstack'@'localhost' IDENTIFIED BY '$PW';
  GRANT ALL PRIVILEGES ON *.* TO 'openstack'@'127.0.0.1'; GRANT ALL PRIVILEGES ON *.* TO 'openstack'@'localhost';"
systemctl restart rabbitmq-server memcached
RABBIT=rabbit://guest:guest@127.0.0.1:5672/

# --- Keystone ------------------------------------------------------------------------------
log "keystone"
K=/etc/keystone/keystone.conf
set_ini $K database connection "$(db_url keystone)"
set_ini $K token provider fernet
set_ini $K cache enabled true
set_ini $K cache backend dogpile.cache.memcached
set_ini $K cache memcache_servers 127.0.0.1:11211
tune_uwsgi /etc/keystone/keystone-uwsgi.ini 2
su -s /bin/sh -c 'keystone-manage db_sync' keystone
keystone-manage fernet_setup --keystone-user keystone --keystone-group keystone
keystone-manage credential_setup --keystone-user keystone --keystone-group keystone
keystone-manage bootstrap --bootstrap-password "$PW" --bootstrap-admin-url "$KEYSTONE/v3/" \
  --bootstrap-internal-url "$KEYSTONE/v3/" --bootstrap-public-url "$KEYSTONE/v3/" --bootstrap-region-id RegionOne
systemctl enable --now keystone
# The other services authenticate as their users as soon as they start.
python3 /usr/local/sbin/spcloud-operator.py "$IP" "$PW" "$COMPUTE_HOSTS" identity

# --- Glance --------------------------------------------------------------------------------
log "glance"
G=/etc/glance/glance-api.conf
set_ini $G database connection "$(db_url glance)"
authtoken $G glance
set_ini $G paste_deploy flavor keystone
set_ini $G DEFAULT enabled_backends fs:file
set_ini $G glance_store default_backend fs
set_ini $G fs filesystem_store_datadir /var/lib/glance/images/
tune_uwsgi /etc/glance/glance-api-uwsgi.ini 1
su -s /bin/sh -c 'glance-manage db_sync' glance

# --- Placement -----------------------------------------------------------------------------
log "placement"
P=/etc/placement/placement.conf
set_ini $P placement_database connection "$(db_url placement)"
set_ini $P api auth_strategy keystone
authtoken $P placement
tune_uwsgi /etc/placement/placement-api-uwsgi.ini 2
su -s /bin/sh -c 'placement-manage db sync' placement

# --- Nova ----------------------------------------------------------------------------------
log "nova"
N=/etc/nova/nova.conf
set_ini $N DEFAULT transport_url "$RABBIT"
set_ini $N DEFAULT my_ip "$IP"
set_ini $N DEFAULT compute_driver fake.FakeDriver
set_ini $N DEFAULT enabled_apis osapi_compute,metadata
# The fake hypervisor has 1000 vCPUs and 800 GB per host: enough for 100 large workers.
set_ini $N DEFAULT initial_cpu_allocation_ratio 4.0
set_ini $N DEFAULT initial_ram_allocation_ratio 4.0
set_ini $N api auth_strategy keystone
set_ini $N api_database connection "$(db_url nova_api)"
set_ini $N database connection "$(db_url nova)"
authtoken $N nova
set_ini $N service_user send_service_user_token true
auth_section $N service_user nova
set_ini $N placement auth_type password
auth_section $N placement placement
auth_section $N neutron neutron
# The metadata API finds the server by the caller's fixed IP (no Neutron metadata proxy).
set_ini $N neutron service_metadata_proxy false
set_ini $N glance api_servers "http://$IP:9292"
set_ini $N cinder os_region_name RegionOne
set_ini $N vnc enabled false
set_ini $N oslo_concurrency lock_path /var/lib/nova/tmp
set_ini $N scheduler discover_hosts_in_cells_interval 10
set_ini $N filter_scheduler enabled_filters \
  ComputeFilter,ComputeCapabilitiesFilter,ImagePropertiesFilter,ServerGroupAntiAffinityFilter,ServerGroupAffinityFilter
# nova-compute-ironic's file is read last by Debian's unit; the compute units here do not read it.
printf '[DEFAULT]\ncompute_driver = fake.FakeDriver\n' >/etc/nova/nova-compute.conf
tune_uwsgi /etc/nova/nova-api-uwsgi.ini 3
tune_uwsgi /etc/nova/nova-api-metadata-uwsgi.ini 1
su -s /bin/sh -c 'nova-manage api_db sync' nova
su -s /bin/sh -c 'nova-manage cell_v2 map_cell0' nova
su -s /bin/sh -c 'nova-manage cell_v2 list_cells' nova | grep -q ' cell1 ' ||
  su -s /bin/sh -c 'nova-manage cell_v2 create_cell --name=cell1 --verbose' nova
su -s /bin/sh -c 'nova-manage db sync' nova

# One nova-compute per fake hypervisor, each with its own host name, so server groups with
# an anti-affinity policy have hosts to spread over; a Neutron agent under the same name
# beside each, because ML2 binds a port only on a host with a live agent.
cat >/etc/systemd/system/spcloud-compute@.service <<'EOF'
[Unit]
Description=nova-compute for fake hypervisor %i
After=rabbitmq-server.service mariadb.service
[Service]
User=nova
Group=nova
ExecStartPre=+/bin/sh -c 'printf "[DEFAULT]\nhost = %i\n" >/etc/nova/host-%i.conf'
ExecStart=/usr/bin/nova-compute --config-file=/etc/nova/nova.conf --config-file=/etc/nova/host-%i.conf --log-file=/var/log/nova/nova-compute-%i.log
Restart=on-failure
RestartSec=3
[Install]
WantedBy=multi-user.target
EOF
cat >/etc/systemd/system/spcloud-l2-agent@.service <<'EOF'
[Unit]
Description=Neutron linuxbridge agent for fake hypervisor %i
After=rabbitmq-server.service
[Service]
User=neutron
Group=neutron
RuntimeDirectory=neutron-%i
ExecStartPre=+/bin/sh -c 'printf "[DEFAULT]\nhost = %i\n" >/etc/neutron/host-%i.conf'
ExecStart=/usr/bin/neutron-linuxbridge-agent --config-file=/etc/neutron/neutron.conf --config-file=/etc/neutron/plugins/ml2/ml2_conf.ini --config-file=/etc/neutron/plugins/ml2/linuxbridge_agent.ini --config-file=/etc/neutron/host-%i.conf --log-file=/var/log/neutron/linuxbridge-agent-%i.log
Restart=on-failure
RestartSec=3
[Install]
WantedBy=multi-user.target
EOF

# --- Neutron -------------------------------------------------------------------------------
log "neutron"
Q=/etc/neutron/neutron.conf
set_ini $Q DEFAULT core_plugin ml2
set_ini $Q DEFAULT service_plugins router
set_ini $Q DEFAULT transport_url "$RABBIT"
set_ini $Q DEFAULT auth_strategy keystone
set_ini $Q DEFAULT notify_nova_on_port_status_changes true
set_ini $Q DEFAULT notify_nova_on_port_data_changes true
set_ini $Q DEFAULT rpc_workers 1
set_ini $Q DEFAULT api_workers 1
# Zed marks linuxbridge experimental: without this every API worker exits and requests hang.
set_ini $Q experimental linuxbridge true
set_ini $Q database connection "$(db_url neutron)"
authtoken $Q neutron
auth_section $Q nova nova
set_ini $Q oslo_concurrency lock_path /var/lib/neutron/tmp
M=/etc/neutron/plugins/ml2/ml2_conf.ini
set_ini $M ml2 type_drivers flat,vlan
set_ini $M ml2 tenant_network_types vlan
set_ini $M ml2 mechanism_drivers linuxbridge
set_ini $M ml2 extension_drivers port_security
set_ini $M ml2_type_flat flat_networks extnet
set_ini $M ml2_type_vlan network_vlan_ranges physnet1:100:999
L=/etc/neutron/plugins/ml2/linuxbridge_agent.ini
set_ini $L linux_bridge physical_interface_mappings physnet1:physnet1,extnet:extnet
set_ini $L vxlan enable_vxlan false
set_ini $L securitygroup enable_security_group true
set_ini $L securitygroup firewall_driver noop
tune_uwsgi /etc/neutron/neutron-api-uwsgi.ini 4
su -s /bin/sh -c "neutron-db-manage --config-file $Q --config-file $M upgrade heads" neutron

# --- Cinder --------------------------------------------------------------------------------
log "cinder"
C=/etc/cinder/cinder.conf
set_ini $C DEFAULT transport_url "$RABBIT"
set_ini $C DEFAULT auth_strategy keystone
set_ini $C DEFAULT my_ip "$IP"
set_ini $C DEFAULT glance_api_servers "http://$IP:9292"
# A backend that needs no block devices, named as what it is: volumes are bookkeeping only.
set_ini $C DEFAULT enabled_backends fake
set_ini $C fake volume_driver cinder.tests.fake_driver.FakeLoggingVolumeDriver
set_ini $C fake volume_backend_name fake
set_ini $C database connection "$(db_url cinder)"
authtoken $C cinder
set_ini $C oslo_concurrency lock_path /var/lib/cinder/tmp
tune_uwsgi /etc/cinder/cinder-api-uwsgi.ini 1
su -s /bin/sh -c 'cinder-manage db sync' cinder

# --- Swift ---------------------------------------------------------------------------------
log "swift"
S=/etc/swift
mkdir -p /srv/node/d1
chown -R swift:swift /srv/node
cat >$S/swift.conf <<'EOF'
[swift-hash]
swift_hash_path_suffix = spcloud-suffix
swift_hash_path_prefix = spcloud-prefix

[storage-policy:0]
name = Policy-0
default = yes
EOF
port=6202
for server in account container object; do
  cat >"$S/$server-server.conf" <<EOF
[DEFAULT]
bind_ip = 127.0.0.1
bind_port = $port
user = swift
swift_dir = $S
devices = /srv/node
mount_check = false
workers = 1

[pipeline:main]
pipeline = healthcheck recon $server-server

[app:$server-server]
use = egg:swift#$server

[filter:healthcheck]
use = egg:swift#healthcheck

[filter:recon]
use = egg:swift#recon
recon_cache_path = /var/cache/swift
EOF
  (cd $S && swift-ring-builder "$server.builder" create 10 1 1 &&
    swift-ring-builder "$server.builder" add "r1z1-127.0.0.1:$port/d1" 100 &&
    swift-ring-builder "$server.builder" rebalance) >/dev/null
  port=$((port - 1))
done
# authtoken before s3api and s3token: the other order fails every S3 call with
# SignatureDoesNotMatch on these releases.
cat >$S/proxy-server.conf <<EOF
[DEFAULT]
bind_ip = 0.0.0.0
bind_port = 8080
user = swift
swift_dir = $S
workers = 1

[pipeline:main]
pipeline = catch_errors gatekeeper healthcheck proxy-logging cache listing_formats bulk tempurl authtoken s3api s3token keystoneauth copy container-quotas account-quotas slo dlo versioned_writes proxy-logging proxy-server

[app:proxy-server]
use = egg:swift#proxy
account_autocreate = true

[filter:authtoken]
paste.filter_factory = keystonemiddleware.auth_token:filter_factory
delay_auth_decision = true
www_authenticate_uri = $KEYSTONE/v3
auth_url = $KEYSTONE/v3
memcached_servers = 127.0.0.1:11211
auth_type = password
project_domain_name = Default
user_domain_name = Default
project_name = service
username = swift
password = $PW

[filter:keystoneauth]
use = egg:swift#keystoneauth
operator_roles = admin,member

[filter:s3api]
use = egg:swift#s3api
# The region S3 clients sign for; the library's default s3Region.
location = us-east-1

[filter:s3token]
use = egg:swift#s3token
auth_uri = $KEYSTONE/v3
# /v3/s3tokens needs a service token since OSSA-2025-002.
auth_type = password
auth_url = $KEYSTONE/v3
project_domain_name = Default
user_domain_name = Default
project_name = service
username = swift
password = $PW

[filter:catch_errors]
use = egg:swift#catch_errors
[filter:gatekeeper]
use = egg:swift#gatekeeper
[filter:healthcheck]
use = egg:swift#healthcheck
[filter:proxy-logging]
use = egg:swift#proxy_logging
[filter:cache]
use = egg:swift#memcache
memcache_servers = 127.0.0.1:11211
[filter:listing_formats]
use = egg:swift#listing_formats
[filter:bulk]
use = egg:swift#bulk
[filter:tempurl]
use = egg:swift#tempurl
[filter:copy]
use = egg:swift#copy
[filter:container-quotas]
use = egg:swift#container_quotas
[filter:account-quotas]
use = egg:swift#account_quotas
[filter:slo]
use = egg:swift#slo
[filter:dlo]
use = egg:swift#dlo
[filter:versioned_writes]
use = egg:swift#versioned_writes
EOF
# The same proxy over TLS for S3 clients: Swift 2.30's s3api refuses the aws-chunked uploads
# the AWS SDK (Hadoop's S3A) sends over plain HTTP. cloud.sh writes a certificate from a CA
# of its own to $S/tls before each boot; the unit does not start without one.
sed -e 's/^bind_port = 8080$/bind_port = 8443/' \
  -e "s|^workers = 1\$|workers = 1\ncert_file = $S/tls/server.pem\nkey_file = $S/tls/server.key|" \
  $S/proxy-server.conf >$S/proxy-server-tls.conf
grep -q '^cert_file' $S/proxy-server-tls.conf || {
  log "could not derive the TLS proxy's configuration"
  exit 1
}
cat >/etc/systemd/system/spcloud-swift-tls.service <<EOF
[Unit]
Description=Swift proxy over TLS, for S3 clients
After=network.target memcached.service
ConditionPathExists=$S/tls/server.pem

[Service]
User=swift
ExecStart=/usr/bin/swift-proxy-server $S/proxy-server-tls.conf
Restart=on-failure
RestartSec=2

[Install]
WantedBy=multi-user.target
EOF
chown -R swift:swift $S /var/cache/swift 2>/dev/null || true

# --- start everything, then what an operator provides ---------------------------------------
log "starting the services"
units=(glance-api placement-api nova-api nova-api-metadata nova-conductor nova-scheduler
  neutron-api neutron-rpc-server cinder-api cinder-scheduler cinder-volume
  swift-account swift-container swift-object swift-proxy spcloud-swift-tls)
for i in $(seq 1 "$COMPUTE_HOSTS"); do units+=("spcloud-compute@compute-$i" "spcloud-l2-agent@compute-$i"); done
systemctl daemon-reload
systemctl enable "${units[@]}"
# A unit that fails once (a dependency still starting) is restarted by systemd; what matters
# is that operator.py finds every API answering and every compute host up.
systemctl start "${units[@]}" || log "a unit failed to start on the first try; systemd retries it"

log "operator resources (operator.py)"
python3 /usr/local/sbin/spcloud-operator.py "$IP" "$PW" "$COMPUTE_HOSTS" resources
su -s /bin/sh -c 'nova-manage cell_v2 discover_hosts --verbose' nova
log "configured"
