#!/usr/bin/python3
"""What the operator of a real cloud provides, created once in the local cloud.

Runs inside the cloud's machine (configure.sh calls it) as Keystone's bootstrap admin:
service users and the catalog, the project and non-admin user that deploy clusters,
flavors, a small image, the external network `public`, and quotas large enough for the
tests. One Python process with openstacksdk: the `openstack` CLI pays ~2.5 s per call.
Writes what the host needs to know to /etc/spcloud/operator.json.

    spcloud-operator.py <cloud-ip> <password> <compute-hosts> identity|resources|check

`identity` (service users, roles, catalog, the deploying user) runs before the other
services start: they authenticate as their users when they start. `resources` runs once
they answer; `check` only waits until every compute host and its network agent are up.
"""
import json
import os
import sys
import time

import openstack

IP, PW, COMPUTE_HOSTS = sys.argv[1], sys.argv[2], int(sys.argv[3])
KEYSTONE = f"http://{IP}:5000/v3"
SERVICE_USERS = ["glance", "placement", "nova", "neutron", "cinder", "swift"]

# type, name, URL (every interface of the one region)
CATALOG = [
    ("image", "glance", f"http://{IP}:9292"),
    ("placement", "placement", f"http://{IP}:8778"),
    ("compute", "nova", f"http://{IP}:8774/v2.1"),
    ("network", "neutron", f"http://{IP}:9696"),
    ("block-storage", "cinder", f"http://{IP}:8776/v3/%(project_id)s"),
    ("volumev3", "cinderv3", f"http://{IP}:8776/v3/%(project_id)s"),
    ("object-store", "swift", f"http://{IP}:8080/v1/AUTH_%(project_id)s"),
]

# The operator's public-read container serving Spark like the Apache archive (cloud.sh mirror).
MIRROR_CONTAINER = "mirror"
# The example stacks' flavors and a few small ones (name, vCPUs, RAM MiB, disk GiB).
FLAVORS = [
    ("m1.small", 1, 2048, 20),
    ("m1.medium", 2, 4096, 40),
    ("m1.large", 4, 8192, 80),
    ("m1.xlarge", 8, 16384, 160),
    ("r1.2xlarge", 8, 65536, 160),
]

# Public images: the one the example stacks boot (SPARK_IMAGE), and a second one to change
# to (SPARK_IMAGE=debian-12-next), as a cloud publishes a new release of an image under a new
# name: the day-2 tests apply an image change with it (Nova rebuilds the servers).
IMAGES = ["debian-12", "debian-12-next"]

# Enough for the deploy tests and the 100-worker benchmark (m1.xlarge workers, 200 GiB
# volumes). server_group_members stays Nova's default of 10: the library must cope with it.
COMPUTE_QUOTAS = dict(cores=2000, ram=4_096_000, instances=250, server_groups=100, key_pairs=100)
VOLUME_QUOTAS = dict(gigabytes=30_000, volumes=300, snapshots=50)
NETWORK_QUOTAS = dict(port=1000, floatingip=50, security_group=100, security_group_rule=1000, router=20, network=50, subnet=50)


def log(message):
    print(f"[cloud/operator] {message}", file=sys.stderr, flush=True)


def retry(what, fn, timeout=300):
    """Calls fn until it stops raising (a service still starting), up to `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return fn()
        except Exception as err:  # noqa: BLE001 - any error of a service that is not up yet
            if time.monotonic() > deadline:
                raise RuntimeError(f"{what}: still failing after {timeout} s: {err}") from err
            time.sleep(2)


def connect(project="admin", user="admin"):
    return openstack.connect(
        auth_url=KEYSTONE,
        project_name=project,
        username=user,
        password=PW,
        user_domain_name="Default",
        project_domain_name="Default",
        region_name="RegionOne",
        identity_interface="public",
    )


def ensure(find, create):
    return find() or create()


def wait_for_compute_hosts(admin):
    log(f"waiting for {COMPUTE_HOSTS} compute services and their network agents")

    def computes_up():
        hosts = {s.host for s in admin.compute.services() if s.binary == "nova-compute" and s.state == "up"}
        agents = {a.host for a in admin.network.agents() if a.is_alive}
        want = {f"compute-{i}" for i in range(1, COMPUTE_HOSTS + 1)}
        missing = want - (hosts & agents)
        if missing:
            raise RuntimeError(f"not up yet: {sorted(missing)}")

    retry("compute hosts", computes_up, timeout=600)


def identity():
    admin = connect()
    ident = admin.identity
    retry("keystone", lambda: ident.get_domain("default"))
    log("service users and roles")
    service = ensure(lambda: ident.find_project("service"), lambda: ident.create_project(name="service", domain_id="default"))
    roles = {r: ensure(lambda r=r: ident.find_role(r), lambda r=r: ident.create_role(name=r)) for r in ["admin", "member", "reader", "service"]}
    for name in SERVICE_USERS:
        user = ensure(
            lambda name=name: ident.find_user(name, domain_id="default"),
            lambda name=name: ident.create_user(name=name, password=PW, domain_id="default"),
        )
        for role in ("admin", "service"):
            ident.assign_project_role_to_user(service, user, roles[role])

    log("catalog")
    for service_type, name, url in CATALOG:
        svc = ensure(
            lambda t=service_type: ident.find_service(t),
            lambda t=service_type, n=name: ident.create_service(name=n, type=t),
        )
        existing = {e.interface for e in ident.endpoints(service_id=svc.id)}
        for interface in ("public", "internal", "admin"):
            if interface not in existing:
                ident.create_endpoint(service_id=svc.id, interface=interface, url=url, region_id="RegionOne")

    log("the deploying project and its non-admin user")
    project = ensure(lambda: ident.find_project("spark"), lambda: ident.create_project(name="spark", domain_id="default", description="Spark clusters"))
    user = ensure(
        lambda: ident.find_user("spark", domain_id="default"),
        lambda: ident.create_user(name="spark", password=PW, domain_id="default", default_project_id=project.id),
    )
    ident.assign_project_role_to_user(project, user, roles["member"])
    ident.assign_project_role_to_user(project, user, roles["reader"])


def resources():
    admin = connect()
    project = admin.identity.find_project("spark")

    log("flavors")
    existing = {f.name for f in retry("nova-api", lambda: list(admin.compute.flavors()))}
    for name, vcpus, ram, disk in FLAVORS:
        if name not in existing:
            admin.compute.create_flavor(name=name, vcpus=vcpus, ram=ram, disk=disk, is_public=True)

    for name in IMAGES:
        log(f"image {name} (1 MiB of zeros: the fake hypervisor boots nothing)")
        if not retry("glance", lambda name=name: admin.image.find_image(name)):
            path = f"/var/tmp/{name}.raw"
            with open(path, "wb") as f:
                f.write(b"\0" * 1024 * 1024)
            admin.create_image(name, filename=path, disk_format="raw", container_format="bare", visibility="public", wait=True)
            os.unlink(path)

    log("external network public")
    net = retry("neutron", lambda: admin.network.find_network("public"))
    if not net:
        net = admin.network.create_network(
            name="public",
            is_router_external=True,
            provider_network_type="flat",
            provider_physical_network="extnet",
        )
        admin.network.create_subnet(
            name="public",
            network_id=net.id,
            ip_version=4,
            cidr="172.24.4.0/24",
            gateway_ip="172.24.4.1",
            is_dhcp_enabled=False,
            allocation_pools=[{"start": "172.24.4.10", "end": "172.24.4.250"}],
        )

    log("quotas of project spark")
    retry("nova quotas", lambda: admin.set_compute_quotas(project.id, **COMPUTE_QUOTAS))
    retry("cinder quotas", lambda: admin.set_volume_quotas(project.id, **VOLUME_QUOTAS))
    retry("neutron quotas", lambda: admin.set_network_quotas(project.id, **NETWORK_QUOTAS))

    log("public-read container mirror of the operator, for Spark and the S3A jars (cloud.sh mirror)")
    retry("swift", lambda: admin.object_store.create_container(name=MIRROR_CONTAINER, read_ACL=".r:*,.rlistings"))
    admin_project = admin.identity.find_project("admin")

    wait_for_compute_hosts(admin)

    os.makedirs("/etc/spcloud", exist_ok=True)
    with open("/etc/spcloud/operator.json", "w") as f:
        json.dump(
            {
                "external_network_id": net.id,
                "project_id": project.id,
                "region": "RegionOne",
                "mirror_url": f"http://{IP}:8080/v1/AUTH_{admin_project.id}/{MIRROR_CONTAINER}",
            },
            f,
        )
    log("done")


if __name__ == "__main__":
    mode = sys.argv[4]
    if mode == "identity":
        identity()
    elif mode == "resources":
        resources()
    elif mode == "check":
        wait_for_compute_hosts(retry("keystone", connect))
    else:
        sys.exit(f"unknown mode {mode}")
