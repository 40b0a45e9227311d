/* What kind of program a file is: what sockfault run (and its supervisor,
 * at an exec) must know to reach it. */
#include <elf.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "elfkind.h"

/* Is the program one LD_PRELOAD can reach? A static binary has no dynamic
 * loader (no PT_INTERP); a Go binary makes its own system calls. */
enum binary_kind sf_elf_kind(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return BIN_OTHER;
	Elf64_Ehdr eh;
	enum binary_kind kind = BIN_OTHER;
	if (read(fd, &eh, sizeof eh) == (ssize_t)sizeof eh && memcmp(eh.e_ident, ELFMAG, SELFMAG) == 0 &&
	    eh.e_ident[EI_CLASS] == ELFCLASS64) {
		kind = BIN_STATIC;
		for (int i = 0; i < eh.e_phnum; i++) {
			Elf64_Phdr ph;
			if (pread(fd, &ph, sizeof ph, (off_t)(eh.e_phoff + (Elf64_Off)i * eh.e_phentsize)) !=
			    (ssize_t)sizeof ph)
				break;
			if (ph.p_type == PT_INTERP)
				kind = BIN_DYNAMIC;
		}
		/* Go marks its binaries with a .go.buildinfo section. */
		Elf64_Shdr strtab;
		if (eh.e_shstrndx &&
		    pread(fd, &strtab, sizeof strtab,
			  (off_t)(eh.e_shoff + (Elf64_Off)eh.e_shstrndx * eh.e_shentsize)) == (ssize_t)sizeof strtab) {
			for (int i = 0; i < eh.e_shnum; i++) {
				Elf64_Shdr sh;
				char name[16] = "";
				if (pread(fd, &sh, sizeof sh, (off_t)(eh.e_shoff + (Elf64_Off)i * eh.e_shentsize)) !=
				    (ssize_t)sizeof sh)
					break;
				if (pread(fd, name, sizeof name - 1, (off_t)(strtab.sh_offset + sh.sh_name)) > 0 &&
				    strcmp(name, ".go.buildinfo") == 0)
					kind = BIN_GO;
			}
		}
	}
	close(fd);
	return kind;
}

/* The program has a dynamic loader (PT_INTERP). */
int sf_elf_dynamic(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	Elf64_Ehdr eh;
	int found = 0;
	if (read(fd, &eh, sizeof eh) == (ssize_t)sizeof eh && memcmp(eh.e_ident, ELFMAG, SELFMAG) == 0 &&
	    eh.e_ident[EI_CLASS] == ELFCLASS64)
		for (int i = 0; i < eh.e_phnum && !found; i++) {
			Elf64_Phdr ph;
			if (pread(fd, &ph, sizeof ph, (off_t)(eh.e_phoff + (Elf64_Off)i * eh.e_phentsize)) !=
			    (ssize_t)sizeof ph)
				break;
			found = ph.p_type == PT_INTERP;
		}
	close(fd);
	return found;
}
