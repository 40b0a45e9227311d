/* What kind of program a file is. */
#ifndef SF_ELFKIND_H
#define SF_ELFKIND_H

enum binary_kind { BIN_OTHER, BIN_DYNAMIC, BIN_STATIC, BIN_GO };

/* Is the program one LD_PRELOAD can reach? A static binary has no dynamic
 * loader (no PT_INTERP); a Go binary makes its own system calls. */
enum binary_kind sf_elf_kind(const char *path);

/* The program has a dynamic loader (PT_INTERP). */
int sf_elf_dynamic(const char *path);

#endif
