// The container name dtop derives from a cgroup path (source/catalog/cgroups.ts).
import assert from "node:assert/strict";
import { test } from "node:test";
import { containerName } from "../../../source/catalog/cgroups.ts";

const id = "0123456789abcdef".repeat(4);

test("container names: runtimes give their short id", () => {
	assert.equal(containerName(`/system.slice/docker-${id}.scope`), "0123456789ab");
	assert.equal(containerName(`/docker/${id}`), "0123456789ab");
	assert.equal(
		containerName(
			`/system.slice/containerd.service/kubepods-besteffort.slice/kubepods-besteffort-podX.slice/cri-containerd-${id}.scope`,
		),
		"0123456789ab",
	);
	assert.equal(containerName(`/kubepods/besteffort/podX/${id}`), "0123456789ab");
	assert.equal(containerName(`/machine.slice/libpod-${id}.scope`), "0123456789ab");
	assert.equal(containerName(`/machine.slice/libpod-${id}.scope/container`), "0123456789ab");
	assert.equal(containerName(`/system.slice/crio-${id}.scope`), "0123456789ab");
});

test("container names: services, sessions, and everything else", () => {
	assert.equal(containerName("/system.slice/nginx.service"), "nginx.service");
	assert.equal(containerName("/system.slice/nginx.service/worker"), "nginx.service");
	assert.equal(containerName("/user.slice/user-1000.slice/user@1000.service/app.slice/foo.service"), "foo.service");
	assert.equal(containerName("/user.slice/user-1000.slice/session-3.scope"), "session-3.scope");
	// conmon is podman's monitor, not the container: its own scope's name.
	assert.equal(containerName(`/machine.slice/libpod-conmon-${id}.scope`), `libpod-conmon-${id}.scope`);
	assert.equal(containerName("/init.scope"), "init.scope");
	assert.equal(containerName("/a/b"), "b");
	assert.equal(containerName("/"), "");
});
