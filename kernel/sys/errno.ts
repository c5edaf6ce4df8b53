// The errno values the kernel plane tests for, once (errors.ts names and explains them).
export const ENOENT = 2;
export const EBADF = 9;
export const EEXIST = 17;
export const EINVAL = 22;
export const ENOSPC = 28;
export const EOPNOTSUPP = 95;
/** The kernel's internal "not supported" that reaches user space from BPF (not in errno.h). */
export const ENOTSUPP = 524;
