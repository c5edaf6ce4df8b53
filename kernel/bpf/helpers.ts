// BPF helper function ids: positions in the kernel's ___BPF_FUNC_MAPPER list
// (include/uapi/linux/bpf.h). They are ABI and never change once released.

export const Helper = {
	map_lookup_elem: 1,
	map_update_elem: 2,
	map_delete_elem: 3,
	probe_read: 4,
	ktime_get_ns: 5,
	trace_printk: 6,
	get_prandom_u32: 7,
	get_smp_processor_id: 8,
	tail_call: 12,
	get_current_pid_tgid: 14,
	get_current_uid_gid: 15,
	get_current_comm: 16,
	perf_event_read: 22,
	perf_event_output: 25,
	get_stackid: 27,
	get_current_task: 35,
	probe_write_user: 36,
	current_task_under_cgroup: 37,
	get_numa_node_id: 42,
	probe_read_str: 45,
	get_stack: 67,
	get_current_cgroup_id: 80,
	map_push_elem: 87,
	map_pop_elem: 88,
	map_peek_elem: 89,
	send_signal: 109,
	probe_read_user: 112,
	probe_read_kernel: 113,
	probe_read_user_str: 114,
	probe_read_kernel_str: 115,
	send_signal_thread: 117,
	jiffies64: 118,
	get_ns_current_pid_tgid: 120,
	ktime_get_boot_ns: 125,
	ringbuf_output: 130,
	ringbuf_reserve: 131,
	ringbuf_submit: 132,
	ringbuf_discard: 133,
	ringbuf_query: 134,
	get_task_stack: 141,
	copy_from_user: 148, // sleepable programs only: may fault the page in
	task_storage_get: 156, // 5.11+
	get_current_task_btf: 158, // 5.11+, needs the kernel's BTF
	ktime_get_coarse_ns: 160,
	snprintf: 165,
	get_func_ip: 173, // kprobe programs 5.15+, uprobe_multi programs 6.6+
	get_attach_cookie: 174, // 5.15+
	task_pt_regs: 175, // 5.15+: the user registers saved at the task's last entry to the kernel
	find_vma: 180,
	loop: 181,
	get_func_arg: 183,
	get_func_ret: 184,
	get_func_arg_cnt: 185,
	copy_from_user_task: 191,
	map_lookup_percpu_elem: 195,
	ktime_get_tai_ns: 208,
} as const;

export type HelperName = keyof typeof Helper;

const NAMES = new Map<number, string>(Object.entries(Helper).map(([name, id]) => [id, name]));

/** `bpf_<name>` for a known helper id, else `helper#<id>`. */
export function helperName(id: number): string {
	const n = NAMES.get(id);
	return n ? `bpf_${n}` : `helper#${id}`;
}
