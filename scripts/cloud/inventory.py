#!/usr/bin/python3
"""Everything one project of the local cloud holds, as the OpenStack APIs report it, as JSON.

Runs inside the cloud's machine, fed on standard input (`cloud.sh inventory [project]`), as the
operator: some of what the checks need is admin-only (the compute host of each server, the user
data Nova holds). The deploy tests compare it with what the library synthesized; `cloud.sh
inventory` shows a user what a deploy left behind.
"""
import base64
import gzip
import json
import sys

import openstack

PROJECT = sys.argv[1] if len(sys.argv) > 1 else "spark"
IP, PW = "127.0.0.1", "spcloud-local"

conn = openstack.connect(
    auth_url=f"http://{IP}:5000/v3",
    project_name="admin",
    username="admin",
    password=PW,
    user_domain_name="Default",
    project_domain_name="Default",
    region_name="RegionOne",
)
project = conn.identity.find_project(PROJECT)
if project is None:
    sys.exit(f"no project {PROJECT}")
pid = project.id


def compute_get(path):
    # 2.79: user data, host and the full server record.
    return conn.compute.get(path, microversion="2.79").json()



def user_data_text(encoded):
    """A server's user data as text, and whether Nova holds it gzip-compressed."""
    if not encoded:
        return None, False
    raw = base64.b64decode(encoded)
    if raw[:2] == b"\x1f\x8b":
        return gzip.decompress(raw).decode("utf-8", "replace"), True
    return raw.decode("utf-8", "replace"), False


servers = []
for s in compute_get(f"/servers/detail?all_tenants=1&project_id={pid}")["servers"]:
    user_data, user_data_gzip = user_data_text(s.get("OS-EXT-SRV-ATTR:user_data"))
    servers.append(
        {
            "id": s["id"],
            "name": s["name"],
            "status": s["status"],
            "host": s.get("OS-EXT-SRV-ATTR:host"),
            "flavor": s["flavor"].get("original_name"),
            "image": (s.get("image") or {}).get("id"),
            "key_name": s.get("key_name"),
            "metadata": s.get("metadata", {}),
            "config_drive": s.get("config_drive"),
            "volumes": [v["id"] for v in s.get("os-extended-volumes:volumes_attached", [])],
            "user_data": user_data,
            "user_data_gzip": user_data_gzip,
        }
    )

server_groups = [
    {"id": g["id"], "name": g["name"], "policy": g.get("policy"), "members": g.get("members", [])}
    for g in compute_get(f"/os-server-groups?all_projects=True")["server_groups"]
    if g.get("project_id") == pid
]
keypairs = [
    k["keypair"]["name"]
    for k in conn.compute.get(f"/os-keypairs?user_id={conn.identity.find_user('spark', domain_id='default').id}", microversion="2.10").json()["keypairs"]
]

net = conn.network
groups = {g.id: g.name for g in net.security_groups(project_id=pid)}
ports = [
    {
        "id": p.id,
        "name": p.name,
        "fixed_ips": [ip["ip_address"] for ip in p.fixed_ips],
        "security_groups": sorted(groups.get(g, g) for g in p.security_group_ids),
        "device_owner": p.device_owner,
        "device_id": p.device_id,
        "binding_host": p.binding_host_id,
    }
    for p in net.ports(project_id=pid)
]
rules = [
    {
        "group": groups.get(r.security_group_id),
        "direction": r.direction,
        "ethertype": r.ether_type,
        "protocol": r.protocol,
        "port_range_min": r.port_range_min,
        "port_range_max": r.port_range_max,
        "remote_ip_prefix": r.remote_ip_prefix,
        "remote_group": groups.get(r.remote_group_id) if r.remote_group_id else None,
        "description": r.description,
    }
    for r in net.security_group_rules(project_id=pid)
]
floating_ips = [
    {"address": f.floating_ip_address, "port_id": f.port_id, "fixed_ip": f.fixed_ip_address}
    for f in net.ips(project_id=pid)
]
networks = [{"id": n.id, "name": n.name} for n in net.networks(project_id=pid)]
subnets = [{"id": s.id, "name": s.name, "cidr": s.cidr} for s in net.subnets(project_id=pid)]
routers = [{"id": r.id, "name": r.name, "external_gateway": bool(r.external_gateway_info)} for r in net.routers(project_id=pid)]

volumes = [
    {
        "id": v["id"],
        "name": v["name"],
        "size": v["size"],
        "status": v["status"],
        "attached_to": [a["server_id"] for a in v.get("attachments", [])],
    }
    for v in conn.block_storage.get(f"/volumes/detail?all_tenants=1&project_id={pid}").json()["volumes"]
]

credentials = [
    {"access": c.blob and json.loads(c.blob).get("access"), "user_id": c.user_id}
    for c in conn.identity.credentials(type="ec2")
    if c.project_id == pid
]

# Swift as the deploying user (the operator sees only its own account).
member = openstack.connect(
    auth_url=f"http://{IP}:5000/v3",
    project_name=PROJECT,
    username="spark",
    password=PW,
    user_domain_name="Default",
    project_domain_name="Default",
    region_name="RegionOne",
)
containers = []
for c in member.object_store.containers():
    objects = {o.name: None for o in member.object_store.objects(c.name)}
    containers.append({"name": c.name, "objects": sorted(objects)})

json.dump(
    {
        "project_id": pid,
        "servers": servers,
        "server_groups": server_groups,
        "keypairs": keypairs,
        "ports": ports,
        "security_groups": sorted(groups.values()),
        "rules": rules,
        "floating_ips": floating_ips,
        "networks": networks,
        "subnets": subnets,
        "routers": routers,
        "volumes": volumes,
        "ec2_credentials": credentials,
        "containers": containers,
    },
    sys.stdout,
    indent=1,
)
