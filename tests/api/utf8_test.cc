// IsUtf8 against the Unicode Standard's table of well-formed UTF-8 byte
// sequences (Table 3-7), written here as data: a text is UTF-8 when it
// splits into sequences each matching one row. Every string of up to four
// bytes drawn from the bytes at the rows' edges is checked against it.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "kreg/validate.hpp"

namespace kreg {
namespace {

struct ByteRange {
  unsigned char lo, hi;
};

// Unicode 15, Table 3-7 "Well-Formed UTF-8 Byte Sequences".
const std::vector<std::vector<ByteRange>> kWellFormed = {
    {{0x00, 0x7F}},                                              // U+0000..U+007F
    {{0xC2, 0xDF}, {0x80, 0xBF}},                                // U+0080..U+07FF
    {{0xE0, 0xE0}, {0xA0, 0xBF}, {0x80, 0xBF}},                  // U+0800..U+0FFF
    {{0xE1, 0xEC}, {0x80, 0xBF}, {0x80, 0xBF}},                  // U+1000..U+CFFF
    {{0xED, 0xED}, {0x80, 0x9F}, {0x80, 0xBF}},                  // U+D000..U+D7FF
    {{0xEE, 0xEF}, {0x80, 0xBF}, {0x80, 0xBF}},                  // U+E000..U+FFFF
    {{0xF0, 0xF0}, {0x90, 0xBF}, {0x80, 0xBF}, {0x80, 0xBF}},    // U+10000..U+3FFFF
    {{0xF1, 0xF3}, {0x80, 0xBF}, {0x80, 0xBF}, {0x80, 0xBF}},    // U+40000..U+FFFFF
    {{0xF4, 0xF4}, {0x80, 0x8F}, {0x80, 0xBF}, {0x80, 0xBF}},    // U+100000..U+10FFFF
};

bool MatchesRow(std::string_view s, size_t pos, const std::vector<ByteRange>& row) {
  if (s.size() - pos < row.size()) return false;
  for (size_t k = 0; k < row.size(); ++k) {
    unsigned char b = static_cast<unsigned char>(s[pos + k]);
    if (b < row[k].lo || b > row[k].hi) return false;
  }
  return true;
}

// The reference: no two rows share a first byte, so at most one matches.
bool WellFormedByTable(std::string_view s) {
  size_t pos = 0;
  while (pos < s.size()) {
    size_t matched = 0;
    for (const auto& row : kWellFormed) {
      if (MatchesRow(s, pos, row)) matched = row.size();
    }
    if (matched == 0) return false;
    pos += matched;
  }
  return true;
}

TEST(IsUtf8, NamedCases) {
  struct Case {
    const char* what;
    std::string bytes;
    bool utf8;
  };
  const Case cases[] = {
      {"empty", "", true},
      {"ASCII", "hello", true},
      {"NUL is a character", std::string("a\0b", 3), true},
      {"U+0080, the first two-byte", "\xc2\x80", true},
      {"U+00E9 e acute", "\xc3\xa9", true},
      {"U+07FF, the last two-byte", "\xdf\xbf", true},
      {"U+0800, the first three-byte", "\xe0\xa0\x80", true},
      {"U+20AC euro sign", "\xe2\x82\xac", true},
      {"U+D7FF, before the surrogates", "\xed\x9f\xbf", true},
      {"U+E000, after the surrogates", "\xee\x80\x80", true},
      {"U+FFFF", "\xef\xbf\xbf", true},
      {"U+10000, the first four-byte", "\xf0\x90\x80\x80", true},
      {"U+1F600 emoji", "\xf0\x9f\x98\x80", true},
      {"U+10FFFF, the last code point", "\xf4\x8f\xbf\xbf", true},
      {"overlong '/' in two bytes", "\xc0\xaf", false},
      {"overlong U+007F in two bytes", "\xc1\xbf", false},
      {"overlong '/' in three bytes", "\xe0\x80\xaf", false},
      {"overlong U+07FF in three bytes", "\xe0\x9f\xbf", false},
      {"overlong '/' in four bytes", "\xf0\x80\x80\xaf", false},
      {"overlong U+FFFF in four bytes", "\xf0\x8f\xbf\xbf", false},
      {"high surrogate U+D800", "\xed\xa0\x80", false},
      {"low surrogate U+DFFF", "\xed\xbf\xbf", false},
      {"a surrogate pair as CESU-8", "\xed\xa0\xbd\xed\xb8\x80", false},
      {"U+110000, past the last", "\xf4\x90\x80\x80", false},
      {"lead F5", "\xf5\x80\x80\x80", false},
      {"lead FF", "\xff", false},
      {"a lone continuation byte", "\x80", false},
      {"a continuation after ASCII", "a\xbf", false},
      {"two-byte truncated", "\xc3", false},
      {"three-byte truncated after one", "\xe2", false},
      {"three-byte truncated after two", "\xe2\x82", false},
      {"four-byte truncated after three", "\xf0\x9f\x98", false},
      {"truncated, then ASCII", "\xe2\x82" "a", false},
      {"truncated at the end of a valid text", "caf\xc3", false},
      {"a five-byte form", "\xf8\x88\x80\x80\x80", false},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(IsUtf8(c.bytes), c.utf8) << c.what;
    EXPECT_EQ(WellFormedByTable(c.bytes), c.utf8) << "the reference disagrees on: " << c.what;
  }
}

TEST(IsUtf8, AgreesWithTheTableOnEveryShortStringOfEdgeBytes) {
  // Every byte at the edge of a row's range, and a few between.
  const std::vector<unsigned char> edges = {0x00, 0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF,
                                            0xC0, 0xC1, 0xC2, 0xDF, 0xE0, 0xE1, 0xEC, 0xED, 0xEE,
                                            0xEF, 0xF0, 0xF1, 0xF3, 0xF4, 0xF5, 0xFF};
  std::vector<std::string> strings = {""};
  size_t checked = 0;
  for (int length = 1; length <= 4; ++length) {
    std::vector<std::string> longer;
    for (const std::string& s : strings) {
      for (unsigned char b : edges) longer.push_back(s + static_cast<char>(b));
    }
    strings = std::move(longer);
    for (const std::string& s : strings) {
      ASSERT_EQ(IsUtf8(s), WellFormedByTable(s)) << "bytes " << ::testing::PrintToString(s);
      ++checked;
    }
  }
  EXPECT_EQ(checked, 25u + 625u + 15625u + 390625u);
}

TEST(IsUtf8, AgreesWithTheTableOnEveryTwoByteString) {
  for (int a = 0; a < 256; ++a) {
    for (int b = 0; b < 256; ++b) {
      const std::string s{static_cast<char>(a), static_cast<char>(b)};
      ASSERT_EQ(IsUtf8(s), WellFormedByTable(s)) << a << " " << b;
    }
  }
}

TEST(ValidateUtf8, NamesTheField) {
  EXPECT_TRUE(ValidateUtf8("zone", "sh001").ok());
  Status s = ValidateUtf8("zone", "\xff");
  EXPECT_EQ(s.code(), KREG_INVALID_ARGUMENT);
  EXPECT_EQ(s.message(), "zone is not valid UTF-8");
}

}  // namespace
}  // namespace kreg
