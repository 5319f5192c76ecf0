// credlist: the command line (API.md "Command line").
#include <cstdio>
#include <cstring>

int main(int argc, char** argv) {
  std::puts("usage: credlist COMMAND [OPTIONS]");
  return argc > 1 && std::strcmp(argv[1], "--help") == 0 ? 0 : 2;
}
