/* sockfault run -- wine64 PROG.exe: the run's own wineserver (winerun.c). */
#ifndef SF_WINERUN_H
#define SF_WINERUN_H

/* Is cmd Wine's loader (wine, wine64, wine-stable, ...)? */
int sf_wine_command(const char *cmd);

/* Run argv (Wine's loader and its arguments, the environment already set
 * for the library) with a wineserver of its own, stopped and removed when
 * the program ends. Returns the run's exit status: the program's, or 128 +
 * the signal that killed it. */
int sf_wine_run(char **argv);

#endif
