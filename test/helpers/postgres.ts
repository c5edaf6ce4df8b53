// A private PostgreSQL cluster of Debian's own postgresql package (built with
// its USDT probes, no frame pointers), run by the postgres user in a temporary
// directory: its socket there, no TCP, a port of its own. The postmaster forks
// a backend per connection, which lives as long as the session: `psql -c`
// backends live a few milliseconds.
import { execFileSync, spawnSync } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface Cluster {
	dir: string;
	port: number;
	/** The postgres binary the postmaster runs. */
	binary: string;
	/** The postmaster's pid. */
	pid: number;
	/** Run a client program (psql, pgbench) as postgres against the cluster. */
	client(program: string, args: string[]): string;
	stop(): void;
}

function bindir(): string {
	const root = "/usr/lib/postgresql";
	const versions = existsSync(root) ? readdirSync(root).sort((a, b) => Number(b) - Number(a)) : [];
	const dir = versions.map((v) => join(root, v, "bin")).find((d) => existsSync(join(d, "postgres")));
	if (!dir) throw new Error("Debian's postgresql is not installed; scripts/setup installs it.");
	return dir;
}

function asPostgres(cmd: string, args: string[], cwd?: string): string {
	return execFileSync("runuser", ["-u", "postgres", "--", cmd, ...args], {
		encoding: "utf8",
		cwd: cwd ?? "/",
		stdio: ["ignore", "pipe", "pipe"],
	});
}

export function startCluster(): Cluster {
	const bin = bindir();
	const dir = mkdtempSync(join(tmpdir(), "dtop-pg-"));
	const uid = Number(execFileSync("id", ["-u", "postgres"], { encoding: "utf8" }));
	const gid = Number(execFileSync("id", ["-g", "postgres"], { encoding: "utf8" }));
	chownSync(dir, uid, gid);
	const data = join(dir, "data");
	const port = 20000 + (process.pid % 20000);
	asPostgres(join(bin, "initdb"), ["-D", data, "-A", "trust", "-U", "postgres", "--no-sync"]);
	asPostgres(join(bin, "pg_ctl"), [
		"-D",
		data,
		"-l",
		join(dir, "log"),
		"-w",
		"-o",
		`-c listen_addresses='' -c unix_socket_directories='${dir}' -p ${port} -c fsync=off`,
		"start",
	]);
	const pid = Number(spawnSync("head", ["-1", join(data, "postmaster.pid")], { encoding: "utf8" }).stdout.trim());
	const client = (program: string, args: string[]) =>
		asPostgres(join(bin, program), ["-h", dir, "-p", String(port), ...args]);
	return {
		dir,
		port,
		binary: join(bin, "postgres"),
		pid,
		client,
		stop() {
			spawnSync("runuser", ["-u", "postgres", "--", join(bin, "pg_ctl"), "-D", data, "-m", "immediate", "-w", "stop"], {
				stdio: "ignore",
			});
			rmSync(dir, { recursive: true, force: true });
		},
	};
}
