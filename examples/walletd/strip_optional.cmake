# strip_optional.cmake — copy a .proto, dropping the proto3 `optional` field label.
#
# Debian 12's protoc-c 1.4.1 refuses proto3 `optional` ("not supported"). The label only adds
# explicit presence; on the wire an optional field is encoded exactly like a plain one, so code
# generated from the stripped copy talks to peers built from the original .proto. Only a label at
# the start of a line is removed, never the word inside a comment or a name.
#
#   cmake -DIN=src.proto -DOUT=copy.proto -P strip_optional.cmake
if(NOT IN OR NOT OUT)
  message(FATAL_ERROR "usage: cmake -DIN=src.proto -DOUT=copy.proto -P strip_optional.cmake")
endif()
file(READ "${IN}" text)
string(REGEX REPLACE "(^|\n)([ \t]*)optional[ \t]+" "\\1\\2" text "${text}")
file(WRITE "${OUT}" "${text}")
