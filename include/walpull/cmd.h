/* The subcommands. Each parses its own arguments (argv[0] is the
 * subcommand's name), reports its errors once, and returns the exit code. */
#ifndef WALPULL_CMD_H
#define WALPULL_CMD_H

int wp_cmd_identify(int argc, char **argv);
int wp_cmd_slot(int argc, char **argv);
int wp_cmd_archive(int argc, char **argv);
int wp_cmd_seed(int argc, char **argv);
int wp_cmd_bench(int argc, char **argv);
int wp_cmd_verify(int argc, char **argv);
int wp_cmd_restore_wal(int argc, char **argv);
int wp_cmd_expire(int argc, char **argv);
int wp_cmd_status(int argc, char **argv);
int wp_cmd_check(int argc, char **argv);
/* The drop-in front ends: argv[0] names the program as invoked. */
int wp_cmd_receivewal(int argc, char **argv);
int wp_cmd_basebackup(int argc, char **argv);

#endif
