// Shows the lesson's chat from moebi's node (see chat.hpp): `chat_moebi --sname moebi@localhost --cookie C`,
// then lines like `kate@localhost hi kate` on standard input.
#include "chat.hpp"

int main(int argc, char** argv) { return chat::run(argc, argv, "moebi"); }
