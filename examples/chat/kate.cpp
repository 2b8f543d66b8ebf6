// Shows the lesson's chat from kate's node (see chat.hpp): `chat_kate --sname kate@localhost --cookie C`,
// then lines like `kate@localhost hi kate` on standard input.
#include "chat.hpp"

int main(int argc, char** argv) { return chat::run(argc, argv, "kate"); }
