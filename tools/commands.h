// The credlist commands (API.md "Command line"): each takes argv after the command name,
// prints its own --help, and returns the process exit status (0 ok, 1 failed, 2 usage).
#pragma once

namespace credlist {

int RunGenerate(int argc, char** argv);
int RunLoad(int argc, char** argv);
int RunServe(int argc, char** argv);
int RunCheck(int argc, char** argv);
int RunScreen(int argc, char** argv);
int RunToken(int argc, char** argv);
int RunStats(int argc, char** argv);
int RunExport(int argc, char** argv);

// Prints "credlist: MESSAGE" to stderr and returns 2 (a usage error) or 1.
int Usage(const char* message_fmt, ...);
int Fail(const char* message_fmt, ...);

}  // namespace credlist
