# cmake -DINPUT=file -DOUTPUT=file.cc -DSYMBOL=name -P embed.cmake
# Writes a C++ source defining `std::string_view mailflow::diagnose::SYMBOL()`
# that returns the bytes of INPUT (as a byte array: any content is safe).
file(READ "${INPUT}" hex HEX)
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
string(REGEX REPLACE "(0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,)"
       "\\1\n" bytes "${bytes}")
file(WRITE "${OUTPUT}.tmp"
"// Generated from ${INPUT} by diagnose/embed.cmake. Do not edit.
#include <string_view>

namespace mailflow::diagnose {
namespace {
const unsigned char kData[] = {
${bytes}0x00};
}  // namespace

std::string_view ${SYMBOL}() {
  return std::string_view(reinterpret_cast<const char*>(kData),
                          sizeof(kData) - 1);
}

}  // namespace mailflow::diagnose
")
file(COPY_FILE "${OUTPUT}.tmp" "${OUTPUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUTPUT}.tmp")
