// Shows the lesson's chat from alex's node (see chat.hpp): `chat_alex --sname alex@localhost --cookie C`,
// then lines like `kate@localhost hi kate` on standard input.
#include "chat.hpp"

int main(int argc, char** argv) { return chat::run(argc, argv, "alex"); }
