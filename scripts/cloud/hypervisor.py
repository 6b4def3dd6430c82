#!/usr/bin/python3
"""What a hypervisor is told about the local cloud's servers, as JSON (cloud.sh hypervisor).

Runs inside the cloud's machine, fed on standard input, as the operator, over every project:
each server with its status, its flavor's vCPUs and RAM, its ports (MAC, fixed IPs, the
subnet's prefix and gateway), the volumes attached to it, the floating IPs that point at its
ports, and its instance actions (request ID and action: a reboot leaves a server ACTIVE, and
only its action says it happened). scripts/cloud/realize.ts turns this into hosts
(scripts/cloud/hosts.sh), running or powered off.
"""
import json
import sys

import openstack

conn = openstack.connect(
    auth_url="http://127.0.0.1:5000/v3",
    project_name="admin",
    username="admin",
    password="spcloud-local",
    user_domain_name="Default",
    project_domain_name="Default",
    region_name="RegionOne",
)

# 2.47: the flavor's vCPUs and RAM inside the server record; 2.3: the hostname Nova gave it.
servers = conn.compute.get("/servers/detail?all_tenants=1", microversion="2.79").json()["servers"]
subnets = {s.id: s for s in conn.network.subnets()}
ports_by_server = {}
for p in conn.network.ports():
    # compute:<availability zone>
    if (p.device_owner or "").startswith("compute:"):
        ports_by_server.setdefault(p.device_id, []).append(p)
volume_sizes = {
    v["id"]: v["size"]
    for v in conn.block_storage.get("/volumes/detail?all_tenants=1").json()["volumes"]
}
floating = {}
for f in conn.network.ips():
    if f.port_id and f.fixed_ip_address:
        floating.setdefault(f.port_id, []).append(
            {"address": f.floating_ip_address, "fixed_ip": f.fixed_ip_address}
        )

out = []
for s in servers:
    # Nova lists its newest action first; a server being built has no host to act on yet.
    actions = []
    if s["status"] != "BUILD":
        actions = [
            {"request_id": a["request_id"], "action": a["action"]}
            for a in conn.compute.get(f"/servers/{s['id']}/os-instance-actions").json()["instanceActions"]
        ]
    ports = []
    for p in sorted(ports_by_server.get(s["id"], []), key=lambda p: p.created_at or ""):
        addresses = []
        for ip in p.fixed_ips:
            subnet = subnets.get(ip["subnet_id"])
            if subnet is None or subnet.ip_version != 4:
                continue
            addresses.append(
                {
                    "ip": ip["ip_address"],
                    "cidr": subnet.cidr,
                    "gateway": subnet.gateway_ip,
                    "subnet_id": subnet.id,
                }
            )
        ports.append(
            {
                "id": p.id,
                "mac": p.mac_address,
                "network_id": p.network_id,
                "addresses": addresses,
                "floating_ips": floating.get(p.id, []),
            }
        )
    out.append(
        {
            "id": s["id"],
            "name": s["name"],
            "status": s["status"],
            "hostname": s.get("OS-EXT-SRV-ATTR:hostname") or s["name"],
            "project_id": s["tenant_id"],
            "vcpus": s["flavor"]["vcpus"],
            "ram_mib": s["flavor"]["ram"],
            "ports": ports,
            "volumes": [
                {"id": v["id"], "size_gib": volume_sizes.get(v["id"])}
                for v in s.get("os-extended-volumes:volumes_attached", [])
            ],
            "actions": actions,
        }
    )
json.dump(out, sys.stdout, indent=1)
