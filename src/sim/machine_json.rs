//! MAAS machine objects at their real size and shape (MAAS 3.x `machines/` read): the
//! fields a teardown reads plus hardware, interfaces, block devices, zone and pool, so
//! clients parse realistic payloads and list sizes are realistic (several KB each).

use serde_json::{json, Map, Value};

use super::state::MaasMachine;

const API: &str = "/MAAS/api/2.0";

fn mac(index: usize, nic: usize) -> String {
    format!(
        "52:54:00:{:02x}:{:02x}:{:02x}",
        nic,
        (index >> 8) & 0xff,
        index & 0xff
    )
}

fn ip(index: usize) -> String {
    format!(
        "10.{}.{}.{}",
        20 + (index / 65_000),
        (index / 250) % 250 + 1,
        index % 250 + 2
    )
}

fn vlan() -> Value {
    json!({
        "vid": 0, "mtu": 1500, "dhcp_on": true, "external_dhcp": null, "relay_vlan": null,
        "fabric": "fabric-0", "space": "undefined", "primary_rack": "7xtf67", "secondary_rack": null,
        "name": "untagged", "fabric_id": 0, "id": 5001, "resource_uri": format!("{API}/vlans/5001/"),
    })
}

fn interface(m: &MaasMachine, nic: usize) -> Value {
    let id = m.index * 4 + nic + 1;
    let links = if nic == 0 {
        json!([{
            "id": id, "mode": "auto", "ip_address": ip(m.index),
            "subnet": {
                "name": "10.20.0.0/16", "description": "", "vlan": vlan(), "cidr": "10.20.0.0/16",
                "rdns_mode": 2, "gateway_ip": "10.20.0.1", "dns_servers": [], "allow_dns": true,
                "allow_proxy": true, "active_discovery": false, "managed": true, "disabled_boot_architectures": [],
                "id": 1, "space": "undefined", "resource_uri": format!("{API}/subnets/1/"),
            },
        }])
    } else {
        json!([])
    };
    json!({
        "params": "", "numa_node": 0, "system_id": m.system_id, "discovered": [], "children": [],
        "vendor": "Red Hat, Inc.", "product": "Virtio network device", "firmware_version": null,
        "mac_address": mac(m.index, nic), "effective_mtu": 1500, "interface_speed": 0,
        "link_connected": true, "tags": [], "enabled": true, "link_speed": 0, "parents": [],
        "vlan": vlan(), "sriov_max_vf": 0, "name": format!("enp{}s0", nic + 1), "links": links,
        "type": "physical", "id": id,
        "resource_uri": format!("{API}/nodes/{}/interfaces/{id}/", m.system_id),
    })
}

fn block_device(m: &MaasMachine, n: usize) -> Value {
    let id = m.index * 4 + n + 1;
    let name = format!("vd{}", (b'a' + n as u8) as char);
    let size: u64 = if n == 0 {
        64_424_509_440
    } else {
        107_374_182_400
    };
    let partitions = if n == 0 {
        json!([{
            "uuid": format!("6a0d2bd1-0c9e-4d1e-9f2b-{:012x}", id), "size": size - 1_048_576 * 2,
            "bootable": false, "tags": [], "path": format!("/dev/disk/by-dname/{name}-part1"),
            "type": "partition", "id": id, "system_id": m.system_id, "device_id": id,
            "used_for": "ext4 formatted filesystem mounted at /",
            "filesystem": {"fstype": "ext4", "label": "root", "uuid": format!("9d4e3e2c-2d5f-4d7b-8c0a-{:012x}", id),
                "mount_point": "/", "mount_options": null},
            "resource_uri": format!("{API}/nodes/{}/blockdevices/{id}/partition/{id}", m.system_id),
        }])
    } else {
        json!([])
    };
    json!({
        "id_path": format!("/dev/disk/by-id/virtio-{:08x}{n}", m.index), "name": name, "numa_node": 0,
        "serial": format!("{:08x}{n}", m.index), "model": "", "firmware_version": null,
        "type": "physical", "storage_pool": null, "size": size, "block_size": 512, "tags": ["rotary"],
        "uuid": null, "path": format!("/dev/disk/by-dname/{name}"), "partition_table_type": if n == 0 { json!("GPT") } else { Value::Null },
        "partitions": partitions, "available_size": if n == 0 { 0 } else { size }, "used_size": if n == 0 { size } else { 0 },
        "used_for": if n == 0 { "GPT partitioned with 1 partition" } else { "Unused" },
        "filesystem": null, "id": id, "system_id": m.system_id,
        "resource_uri": format!("{API}/nodes/{}/blockdevices/{id}/", m.system_id),
    })
}

/// Renders one machine as MAAS's API does (compact JSON object) into `m.json`: first the
/// members that move with the cloud (status, owner, power, what a deployment sets), then
/// the ~60 that only depend on which machine it is (hardware, interfaces, disks), rendered
/// once into `m.fixed_json` and reused. A release re-renders only the first part: it used
/// to cost a millisecond of the simulator's lock per release, which at 16 releases in
/// flight was most of what a concurrent batch waited for beyond its latency.
pub fn render(m: &mut MaasMachine) {
    let fixed = match &m.fixed_json {
        Some(fixed) => fixed.clone(),
        None => {
            let fixed: std::sync::Arc<str> = fixed(m).into();
            m.fixed_json = Some(fixed.clone());
            fixed
        }
    };
    let deployed = m.owner.is_some();
    let now = json!({
        "system_id": m.system_id, "hostname": m.hostname, "fqdn": format!("{}.maas", m.hostname),
        "owner": m.owner, "owner_data": m.owner_data, "locked": m.locked,
        "status": m.status, "status_name": m.shown_status_name(), "status_message": m.status_message,
        "power_state": m.power_state,
        "pool": {"name": m.pool, "description": "Default pool", "id": 0, "resource_uri": format!("{API}/resourcepool/0/")},
        "zone": {"name": m.zone, "description": "", "id": 1, "resource_uri": format!("{API}/zones/{}/", m.zone)},
        "tag_names": m.tags, "hwe_kernel": if deployed { json!("ga-22.04") } else { Value::Null },
        "osystem": if deployed { "ubuntu" } else { "" }, "distro_series": if deployed { "jammy" } else { "" },
        "netboot": !deployed, "ip_addresses": if deployed { json!([ip(m.index)]) } else { json!([]) },
        "current_installation_result_id": if deployed { json!(m.index * 3 + 3) } else { Value::Null },
    })
    .to_string();
    // `{...now...}` + `,` + the fixed members + `}`.
    let mut json = String::with_capacity(now.len() + fixed.len() + 2);
    json.push_str(&now[..now.len() - 1]);
    json.push(',');
    json.push_str(&fixed);
    json.push('}');
    m.json = json.into();
}

/// The members of a machine's object that depend only on its index and system id, as
/// compact JSON without the braces (`"k":v,...`).
fn fixed(m: &MaasMachine) -> String {
    let interfaces: Vec<Value> = (0..1).map(|n| interface(m, n)).collect();
    let disks: Vec<Value> = (0..2).map(|n| block_device(m, n)).collect();
    let mut value = json!({
        "description": "",
        "domain": {"authoritative": true, "ttl": null, "name": "maas",
            "resource_record_count": 0, "is_default": true, "id": 0, "resource_uri": format!("{API}/domains/0/")},
        "status_action": "", "power_type": m.power_type,
        "architecture": "amd64/generic", "min_hwe_kernel": "",
        "node_type": 0, "node_type_name": "Machine", "parent": null, "pod": null,
        "cpu_count": 8, "cpu_speed": 2400, "memory": 32768, "storage": 279_172.874_24, "swap_size": null,
        "bios_boot_method": "uefi", "boot_interface": interfaces[0].clone(), "interface_set": interfaces,
        "default_gateways": {"ipv4": {"gateway_ip": "10.20.0.1", "link_id": null}, "ipv6": {"gateway_ip": null, "link_id": null}},
        "boot_disk": disks[0].clone(), "blockdevice_set": disks.clone(), "physicalblockdevice_set": disks,
        "virtualblockdevice_set": [], "volume_groups": [], "raids": [], "bcaches": [], "cache_sets": [],
        "special_filesystems": [], "iscsiblockdevice_set": [],
    });
    let more = json!({
        "hardware_info": {"system_vendor": "QEMU", "system_product": "Standard PC (Q35 + ICH9, 2009)",
            "system_family": "Unknown", "system_version": "pc-q35-8.2", "system_sku": "Unknown",
            "system_serial": "Unknown", "cpu_model": "Intel Core Processor (Skylake, IBRS)",
            "mainboard_vendor": "Canonical Ltd.", "mainboard_product": "Unknown", "mainboard_serial": "Unknown",
            "mainboard_version": "pc-q35-8.2", "mainboard_firmware_vendor": "EFI Development Kit II / OVMF",
            "mainboard_firmware_date": "02/02/2022", "mainboard_firmware_version": "0.0.0", "chassis_vendor": "QEMU",
            "chassis_type": "Other", "chassis_serial": "Unknown", "chassis_version": "pc-q35-8.2"},
        "numanode_set": [{"index": 0, "memory": 32768, "cores": [0, 1, 2, 3, 4, 5, 6, 7], "hugepages_set": []}],
        "commissioning_status": 2, "commissioning_status_name": "Passed", "testing_status": 2,
        "testing_status_name": "Passed", "cpu_test_status": -1, "cpu_test_status_name": "Unknown",
        "memory_test_status": -1, "memory_test_status_name": "Unknown", "storage_test_status": 2,
        "storage_test_status_name": "Passed", "network_test_status": -1, "network_test_status_name": "Unknown",
        "other_test_status": -1, "other_test_status_name": "Unknown", "interface_test_status": -1,
        "interface_test_status_name": "Unknown", "current_commissioning_result_id": m.index * 3 + 1,
        "current_testing_result_id": m.index * 3 + 2,
        "address_ttl": null, "disable_ipv4": false, "enable_hw_sync": false, "last_sync": null, "sync_interval": null,
        "next_sync": null, "enable_kernel_crash_dump": false, "is_dpu": false, "workload_annotations": {},
        // MAAS 3.6's displayed fields (docs/formats.md).
        "hardware_uuid": format!("8a3c2f1e-6b4d-4e9a-9c1f-{:012x}", m.index), "error_description": "",
        "virtualmachine_id": null, "register_vmhost": false, "ephemeral_deploy": false,
        "resource_uri": format!("{API}/machines/{}/", m.system_id),
    });
    if let (Some(all), Value::Object(more)) = (value.as_object_mut(), more) {
        all.extend(more);
    }
    let value = value.to_string();
    value[1..value.len() - 1].to_string()
}

/// Renders a machine recorded from a real MAAS (`--from CLOUD.json`): the recorded object
/// as it was, with the fields the simulation moves (status, owner, lock, power) set to now.
pub fn render_over(recorded: &Map<String, Value>, m: &MaasMachine) -> String {
    let mut value = recorded.clone();
    let now = [
        ("system_id", json!(m.system_id)),
        ("hostname", json!(m.hostname)),
        ("owner", json!(m.owner)),
        ("owner_data", json!(m.owner_data)),
        ("locked", json!(m.locked)),
        ("status", json!(m.status)),
        ("status_name", json!(m.shown_status_name())),
        ("status_message", json!(m.status_message)),
        ("power_state", json!(m.power_state)),
    ];
    for (key, v) in now {
        value.insert(key.to_string(), v);
    }
    Value::Object(value).to_string()
}
