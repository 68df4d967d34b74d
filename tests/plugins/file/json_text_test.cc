// The file plugin's JSON validator (plugins/file/src/json_text.h) against
// nlohmann::json::accept, the parser the plugin reads records with, on
// many generated inputs: valid documents and mutations of them, from a
// fixed seed so that a failure repeats.
//
// Where the two deliberately differ, the test says so:
//   - A lone surrogate escape ("\udc80") is JSON by the grammar, which
//     nlohmann refuses: the validator accepts the text and reports each
//     one in `unreadable`, so that only the record holding it is skipped.
//   - Nesting deeper than kMaxJsonDepth is accepted by both; the validator
//     reports the outermost container of each too-deep part.
//   - nlohmann reads a NUL byte as the end of the text and skips a leading
//     UTF-8 byte order mark; RFC 8259 allows neither, and the validator
//     refuses both (a file cut short by a crash often ends in NULs).
#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "json_text.h"

namespace kreg {
namespace file {
namespace {

using nlohmann::json;

constexpr const char* kLoneSurrogate = "holds a lone surrogate escape";
constexpr const char* kTooDeep = "nests deeper than 512 levels";

// Counts, as nlohmann walks a text, the containers opened one level deeper
// than kMaxJsonDepth: an oracle for the validator's depth reports that
// shares none of its code.
class DepthCounter : public nlohmann::json_sax<json> {
 public:
  size_t too_deep = 0;

  bool null() override { return true; }
  bool boolean(bool) override { return true; }
  bool number_integer(number_integer_t) override { return true; }
  bool number_unsigned(number_unsigned_t) override { return true; }
  bool number_float(number_float_t, const string_t&) override { return true; }
  bool string(string_t&) override { return true; }
  bool binary(binary_t&) override { return true; }
  bool start_object(std::size_t) override { return Open(); }
  bool key(string_t&) override { return true; }
  bool end_object() override { return Close(); }
  bool start_array(std::size_t) override { return Open(); }
  bool end_array() override { return Close(); }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) override { return false; }

 private:
  bool Open() {
    if (++depth_ == kMaxJsonDepth + 1) ++too_deep;
    return true;
  }
  bool Close() {
    --depth_;
    return true;
  }
  size_t depth_ = 0;
};

struct Verdict {
  bool valid;
  std::vector<JsonProblem> problems;
};

Verdict Validate(std::string_view text) {
  Verdict v;
  v.valid = IsValidJson(text, &v.problems);
  return v;
}

size_t Count(const std::vector<JsonProblem>& problems, const char* what) {
  size_t n = 0;
  for (const JsonProblem& p : problems) n += std::string_view(p.what) == what;
  return n;
}

// Checks the validator on `text` against nlohmann, with the differences
// above; returns false (after a gtest failure) when they disagree.
bool AgreesWithNlohmann(const std::string& text) {
  const Verdict v = Validate(text);
  const bool accepted = json::accept(text);
  const std::string shown = ::testing::PrintToString(text.size() > 300 ? text.substr(0, 300) + "..." : text);

  if (text.find('\0') != std::string::npos || text.rfind("\xEF\xBB\xBF", 0) == 0) {
    EXPECT_FALSE(v.valid) << "a NUL byte or a byte order mark is not JSON: " << shown;
    return !v.valid;
  }
  const size_t lone = Count(v.problems, kLoneSurrogate);
  if (v.valid && lone > 0) {
    // Each reported escape is in \uD800-\uDFFF. With each replaced by a
    // plain character the text must be one nlohmann reads: a lone one not
    // reported fails that, and so does half of a pair reported as lone
    // (its other half is lone then).
    std::string patched = text;
    for (const JsonProblem& p : v.problems) {
      if (std::string_view(p.what) != kLoneSurrogate) continue;
      EXPECT_EQ(text.substr(p.offset, 2), "\\u") << "at " << p.offset << " in " << shown;
      const int unit = std::stoi(text.substr(p.offset + 2, 4), nullptr, 16);
      EXPECT_TRUE(unit >= 0xD800 && unit <= 0xDFFF) << "at " << p.offset << " in " << shown;
      patched.replace(p.offset, 6, "\\u0041");
    }
    EXPECT_FALSE(accepted) << "nlohmann reads a lone surrogate: " << shown;
    EXPECT_TRUE(json::accept(patched)) << "a lone surrogate was not reported: " << shown;
    return !accepted && json::accept(patched);
  }
  EXPECT_EQ(v.valid, accepted) << shown;
  if (v.valid != accepted) return false;
  if (!v.valid) return true;
  EXPECT_EQ(lone, 0u) << shown;
  DepthCounter depth;
  json::sax_parse(text, &depth);
  EXPECT_EQ(Count(v.problems, kTooDeep), depth.too_deep) << shown;
  for (size_t i = 1; i < v.problems.size(); ++i) {
    EXPECT_LT(v.problems[i - 1].offset, v.problems[i].offset) << "in text order: " << shown;
  }
  return Count(v.problems, kTooDeep) == depth.too_deep;
}

// Numbers at the edges of what nlohmann reads: int64, uint64, doubles that
// round to infinity or to zero.
const std::vector<std::string> kEdgeNumbers = {
    "0", "-0", "0.0", "-0.0", "1e0", "1E+0", "1e-0", "0e5", "10", "-10",
    "999999999999999999", "9999999999999999999", "-999999999999999999", "-9999999999999999999",
    "9223372036854775807", "-9223372036854775808", "9223372036854775808", "-9223372036854775809",
    "18446744073709551615", "18446744073709551616", "-18446744073709551616",
    "1.7976931348623157e308", "1.7976931348623158e308", "1.7976931348623159e308", "-1.7976931348623159e308",
    "1e308", "1e309", "-1e309", "1E400", "1e-400", "4.9e-324", "2e-324", "123.456e-789",
    "1" + std::string(308, '0'), "1" + std::string(309, '0'), "-1" + std::string(309, '0'),
    "0." + std::string(400, '0') + "1", "1." + std::string(400, '9')};

// Not numbers by the grammar.
const std::vector<std::string> kMalformedNumbers = {
    "00", "01", "-01", "-", "--1", "+1", "1.", ".1", "1e", "1e+", "1e-", "1.e1", "0x1", "1_0", "Infinity",
    "-Infinity", "NaN", "1e1.5", "1ee1", "1-", "0-1", "1.5.5", "-.5", "- 1"};

// The bytes mutations put in: those that mean something to the grammar.
const std::string kSyntaxBytes = std::string("{}[]\",:\\ \t\n\r0123456789-+.eEtrufalsn/bu\x7f\x80\xbf\xc0\xed\xf4\xff") +
                                 std::string(1, '\0');

class Generator {
 public:
  explicit Generator(uint64_t seed) : rng_(seed) {}

  size_t Below(size_t n) { return static_cast<size_t>(rng_() % n); }
  bool OneIn(size_t n) { return Below(n) == 0; }

  std::string Document() {
    std::string out;
    Space(&out);
    Value(0, &out);
    Space(&out);
    return out;
  }

  // One random edit of `text`: cut, flip, put in, take out or swap bytes.
  std::string Mutate(const std::string& text) {
    std::string out = text;
    const size_t at = Below(out.size() + 1);
    switch (Below(6)) {
      case 0:
        out.resize(at);
        break;
      case 1:
        if (at < out.size()) out[at] = static_cast<char>(Below(256));
        break;
      case 2:
        if (at < out.size()) out[at] = kSyntaxBytes[Below(kSyntaxBytes.size())];
        break;
      case 3:
        out.insert(at, 1, kSyntaxBytes[Below(kSyntaxBytes.size())]);
        break;
      case 4:
        if (at < out.size()) out.erase(at, 1 + Below(3));
        break;
      case 5:
        if (at + 1 < out.size()) std::swap(out[at], out[at + 1]);
        break;
    }
    return out;
  }

 private:
  void Space(std::string* out) {
    static const char kSpaces[] = {' ', '\t', '\n', '\r'};
    for (size_t n = Below(4) == 0 ? Below(3) + 1 : 0; n > 0; --n) out->push_back(kSpaces[Below(4)]);
  }

  void Value(int depth, std::string* out) {
    switch (depth > 5 ? 2 + Below(3) : Below(5)) {
      case 0: {
        out->push_back('{');
        Space(out);
        const size_t n = Below(4);
        for (size_t i = 0; i < n; ++i) {
          if (i > 0) out->push_back(',');
          Space(out);
          String(out);
          Space(out);
          out->push_back(':');
          Space(out);
          Value(depth + 1, out);
          Space(out);
        }
        out->push_back('}');
        break;
      }
      case 1: {
        out->push_back('[');
        Space(out);
        const size_t n = Below(4);
        for (size_t i = 0; i < n; ++i) {
          if (i > 0) out->push_back(',');
          Space(out);
          Value(depth + 1, out);
          Space(out);
        }
        out->push_back(']');
        break;
      }
      case 2:
        String(out);
        break;
      case 3:
        Number(out);
        break;
      case 4: {
        static const char* const kLiterals[] = {"true", "false", "null"};
        *out += kLiterals[Below(3)];
        break;
      }
    }
  }

  void Number(std::string* out) {
    if (OneIn(3)) {
      *out += kEdgeNumbers[Below(kEdgeNumbers.size())];
      return;
    }
    if (OneIn(20)) {
      *out += kMalformedNumbers[Below(kMalformedNumbers.size())];
      return;
    }
    if (OneIn(2)) out->push_back('-');
    if (OneIn(3)) {
      out->push_back('0');
    } else {
      out->push_back(static_cast<char>('1' + Below(9)));
      for (size_t n = Below(20); n > 0; --n) out->push_back(static_cast<char>('0' + Below(10)));
    }
    if (OneIn(3)) {
      out->push_back('.');
      for (size_t n = 1 + Below(5); n > 0; --n) out->push_back(static_cast<char>('0' + Below(10)));
    }
    if (OneIn(3)) {
      out->push_back(OneIn(2) ? 'e' : 'E');
      if (OneIn(2)) out->push_back(OneIn(2) ? '+' : '-');
      for (size_t n = 1 + Below(3); n > 0; --n) out->push_back(static_cast<char>('0' + Below(10)));
    }
  }

  static void Utf8(uint32_t cp, std::string* out) {
    if (cp < 0x80) {
      out->push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
      out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
      out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
      out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
      out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
      out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
      out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
      out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
  }

  static void Hex4(uint32_t unit, std::string* out) {
    static const char kHex[] = "0123456789abcdefABCDEF";
    *out += "\\u";
    for (int shift = 12; shift >= 0; shift -= 4) out->push_back(kHex[(unit >> shift) & 0xF]);
  }

  // A code point that is not a surrogate, of any UTF-8 length.
  uint32_t CodePoint() {
    static const uint32_t kTops[] = {0x80, 0x800, 0x10000, 0x110000};
    uint32_t cp;
    do {
      cp = static_cast<uint32_t>(Below(kTops[Below(4)]));
    } while (cp >= 0xD800 && cp <= 0xDFFF);
    return cp;
  }

  void String(std::string* out) {
    out->push_back('"');
    for (size_t n = Below(8); n > 0; --n) {
      switch (Below(8)) {
        case 0: {
          static const char* const kEscapes[] = {"\\\"", "\\\\", "\\/", "\\b", "\\f", "\\n", "\\r", "\\t"};
          *out += kEscapes[Below(8)];
          break;
        }
        case 1: {
          uint32_t cp = CodePoint();
          if (cp >= 0x10000) {
            cp -= 0x10000;
            Hex4(0xD800 + (cp >> 10), out);
            Hex4(0xDC00 + (cp & 0x3FF), out);
          } else {
            Hex4(cp, out);
          }
          break;
        }
        case 2: {
          uint32_t cp;
          do {
            cp = CodePoint();
          } while (cp < 0x20 || cp == '"' || cp == '\\');
          Utf8(cp, out);
          break;
        }
        case 3:
          if (OneIn(4)) Hex4(0xD800 + static_cast<uint32_t>(Below(0x800)), out);  // lone, or a pair by chance
          break;
        default: {
          const char c = static_cast<char>(' ' + Below(95));  // printable ASCII
          out->push_back(c == '"' || c == '\\' ? 'q' : c);
          break;
        }
      }
    }
    out->push_back('"');
  }

  std::mt19937_64 rng_;
};

TEST(JsonTextValidator, AgreesWithNlohmannOnGeneratedDocumentsAndMutations) {
  Generator gen(20261201);
  size_t valid = 0, invalid = 0, with_lone_surrogates = 0;
  for (int i = 0; i < 4000; ++i) {
    const std::string doc = gen.Document();
    ASSERT_TRUE(AgreesWithNlohmann(doc)) << "document " << i;
    std::string mutated = doc;
    for (int m = 0; m < 8; ++m) {
      mutated = gen.Mutate(m % 3 == 0 ? doc : mutated);
      ASSERT_TRUE(AgreesWithNlohmann(mutated)) << "document " << i << ", mutation " << m;
      std::vector<JsonProblem> problems;
      const bool ok = IsValidJson(mutated, &problems);
      (ok ? valid : invalid) += 1;
      with_lone_surrogates += ok && Count(problems, kLoneSurrogate) > 0;
    }
  }
  // The mutations reach both answers and the documented difference.
  EXPECT_GT(valid, 1000u);
  EXPECT_GT(invalid, 10000u);
  EXPECT_GT(with_lone_surrogates, 100u);
}

TEST(JsonTextValidator, EdgeNumbersAloneAndInContainers) {
  std::vector<std::string> numbers = kEdgeNumbers;
  numbers.insert(numbers.end(), kMalformedNumbers.begin(), kMalformedNumbers.end());
  for (const std::string& n : numbers) {
    EXPECT_TRUE(AgreesWithNlohmann(n)) << n;
    EXPECT_TRUE(AgreesWithNlohmann("[" + n + "]")) << n;
    EXPECT_TRUE(AgreesWithNlohmann("{\"n\":" + n + "}")) << n;
    EXPECT_TRUE(AgreesWithNlohmann("[" + n + ",1]")) << n;
    EXPECT_TRUE(AgreesWithNlohmann(" " + n + " ")) << n;
  }
  // A double that rounds to infinity is what nlohmann cannot read.
  EXPECT_FALSE(Validate("1e309").valid);
  EXPECT_FALSE(Validate("[1" + std::string(309, '0') + "]").valid);
  EXPECT_TRUE(Validate("1" + std::string(308, '0')).valid);
  EXPECT_TRUE(Validate("1e-400").valid) << "rounds to zero, which is finite";
}

TEST(JsonTextValidator, DepthAtTheLimitAndPast) {
  for (size_t depth : {size_t{1}, size_t{511}, size_t{512}, size_t{513}, size_t{514}, size_t{5000}, size_t{200000}}) {
    SCOPED_TRACE(depth);
    const std::string arrays = std::string(depth, '[') + std::string(depth, ']');
    Verdict v = Validate(arrays);
    ASSERT_TRUE(v.valid);
    ASSERT_EQ(v.problems.size(), depth > kMaxJsonDepth ? 1u : 0u);
    if (depth > kMaxJsonDepth) {
      EXPECT_EQ(v.problems[0].offset, kMaxJsonDepth) << "the first container past the limit";
      EXPECT_STREQ(v.problems[0].what, kTooDeep);
    }
    EXPECT_TRUE(AgreesWithNlohmann(arrays));

    std::string objects;
    for (size_t i = 0; i < depth; ++i) objects += "{\"k\":";
    objects += "null" + std::string(depth, '}');
    EXPECT_TRUE(AgreesWithNlohmann(objects));
    // One closer short, or one too many, at any depth.
    EXPECT_TRUE(AgreesWithNlohmann(arrays.substr(1)));
    EXPECT_TRUE(AgreesWithNlohmann(arrays.substr(0, arrays.size() - 1)));
    EXPECT_FALSE(Validate(arrays + "]").valid);
  }
}

TEST(JsonTextValidator, EachTooDeepPartIsReportedOnce) {
  const std::string deep = std::string(600, '[') + std::string(600, ']');
  const std::string text = "{\"a\":" + deep + ",\"b\":1,\"c\":" + deep + "}";
  Verdict v = Validate(text);
  ASSERT_TRUE(v.valid);
  ASSERT_EQ(v.problems.size(), 2u);
  // The object is level 1, so the 512th '[' of each part is level 513.
  EXPECT_EQ(v.problems[0].offset, 5 + 511u);
  EXPECT_EQ(v.problems[1].offset, 5 + deep.size() + 11 + 511u);
  EXPECT_TRUE(AgreesWithNlohmann(text));
}

TEST(JsonTextValidator, LoneSurrogatesAreValidButReported) {
  const struct {
    const char* text;
    std::vector<size_t> lone_at;
  } cases[] = {
      {R"("\ud800")", {1}},
      {R"("\udbff")", {1}},
      {R"("\udc00")", {1}},
      {R"("\uDFFF")", {1}},
      {R"("\ud83d\ude00")", {}},
      {R"("\uD83D\uDE00")", {}},
      {R"("\ud800\ud800")", {1, 7}},
      {R"("\ud800\ud800\udc00")", {1}},
      {R"("\udc00\ud800")", {1, 7}},
      {R"("\ud800x")", {1}},
      {R"("\ud800\u0041")", {1}},
      {R"("\ud800\n")", {1}},
      {R"("a\ud83d")", {2}},
      {R"({"\udc80":1,"ok":"\ud83d\ude00","v":"\udc80"})", {2, 37}},
      {R"(["\ud7ff","\ue000"])", {}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.text);
    Verdict v = Validate(c.text);
    ASSERT_TRUE(v.valid);
    std::vector<size_t> at;
    for (const JsonProblem& p : v.problems) {
      EXPECT_STREQ(p.what, kLoneSurrogate);
      at.push_back(p.offset);
    }
    EXPECT_EQ(at, c.lone_at);
    EXPECT_TRUE(AgreesWithNlohmann(c.text));
  }
  // A lone high surrogate before a broken escape: the text is not JSON.
  EXPECT_FALSE(Validate(R"("\ud800\uZZZZ")").valid);
  EXPECT_FALSE(Validate(R"("\ud800\u")").valid);
  EXPECT_FALSE(Validate(R"("\ud800\)").valid);
}

TEST(JsonTextValidator, Utf8InStringsAsNlohmannReadsIt) {
  for (const char* bytes : {"\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80", "\xf4\x8f\xbf\xbf", "\xed\x9f\xbf",
                            "\xee\x80\x80", "\xc0\xaf", "\xc1\xbf", "\xe0\x80\xaf", "\xe0\x9f\xbf",
                            "\xf0\x8f\xbf\xbf", "\xed\xa0\x80", "\xed\xbf\xbf", "\xf4\x90\x80\x80", "\xf5\x80\x80\x80",
                            "\xff", "\x80", "\xbf", "\xc3", "\xe2\x82", "\xf0\x9f\x98", "\xc3\xa9\xa9", "\x7f",
                            "\x1f", "\t", "\n"}) {
    const std::string s = bytes;
    EXPECT_TRUE(AgreesWithNlohmann("\"" + s + "\"")) << ::testing::PrintToString(s);
    EXPECT_TRUE(AgreesWithNlohmann("{\"" + s + "\":0}")) << ::testing::PrintToString(s);
    EXPECT_TRUE(AgreesWithNlohmann(s)) << "outside a string: " << ::testing::PrintToString(s);
  }
}

TEST(JsonTextValidator, TheDeliberateDifferences) {
  // nlohmann stops at a NUL and skips a leading byte order mark.
  EXPECT_TRUE(json::accept(std::string("{}\0garbage", 10)));
  EXPECT_FALSE(Validate(std::string("{}\0garbage", 10)).valid);
  EXPECT_FALSE(Validate(std::string("{}\0", 3)).valid);
  EXPECT_FALSE(Validate(std::string("\"a\0b\"", 5)).valid);
  EXPECT_TRUE(json::accept("\xEF\xBB\xBF{}"));
  EXPECT_FALSE(Validate("\xEF\xBB\xBF{}").valid);
  // Lone surrogates: see above; nlohmann refuses the text.
  EXPECT_FALSE(json::accept(R"("\udc80")"));
  EXPECT_TRUE(Validate(R"("\udc80")").valid);
}

TEST(JsonTextValidator, WhitespaceAndLiterals) {
  for (const char* text : {"", " ", "\t\n\r ", "\v1", "\f1", "1\v", "\xc2\xa0" "1", "true", "false", "null",
                           " true ", "tru", "truex", "nul", "nulll", "True", "NULL", "[true,false,null]",
                           "[true false]", "{\"a\" 1}", "{\"a\":1,}", "[1,]", "[,1]", "{,}", "{\"a\"}", "{1:2}",
                           "{'a':1}", "[1]x", "1 2", "\"\"", "\"", "\"\\\"", "\"\\x41\"", "\"\\u00e9\"",
                           "\"\\u00E9\"", "\"\\u00g9\"", "\"\\u00e\"", "\"\\U00e9\"", "[\"a\",\"b\"]", "{}{}",
                           "[][]", "{\"a\":{\"b\":[]}}"}) {
    EXPECT_TRUE(AgreesWithNlohmann(text)) << ::testing::PrintToString(std::string(text));
  }
}

TEST(JsonTextObjectMembers, TheMembersOfGeneratedObjectsAsNlohmannReadsThem) {
  Generator gen(7);
  size_t objects = 0;
  for (int i = 0; i < 4000; ++i) {
    const std::string doc = gen.Document();
    std::vector<JsonProblem> problems;
    // Generated numbers may round to infinity; lone surrogates leave
    // nlohmann no answer to compare with.
    if (!IsValidJson(doc, &problems) || !problems.empty()) continue;
    const json parsed = json::parse(doc);
    JsonMembers members;
    ASSERT_EQ(ObjectMembers(doc, &members), parsed.is_object()) << doc;
    if (!parsed.is_object()) continue;
    ++objects;
    // Generated keys may repeat; nlohmann keeps the last.
    json rebuilt = json::object();
    for (const auto& [key, value] : members) rebuilt[key] = json::parse(value);
    EXPECT_EQ(rebuilt, parsed) << doc;
  }
  EXPECT_GT(objects, 500u);
}

TEST(JsonTextObjectMembers, KeysAreUnescapedButAnUnreadableKeyIsKeptAsWritten) {
  JsonMembers members;
  ASSERT_TRUE(ObjectMembers(R"( { "a\"b" : [1, {"x": "}"}] , "\u00e9" :"v", "\udc80": 2, "\\" : {} } )", &members));
  ASSERT_EQ(members.size(), 4u);
  EXPECT_EQ(members[0].first, "a\"b");
  EXPECT_EQ(members[0].second, R"([1, {"x": "}"}])");
  EXPECT_EQ(members[1].first, "\xc3\xa9");
  EXPECT_EQ(members[1].second, R"("v")");
  EXPECT_EQ(members[2].first, R"(\udc80)");
  EXPECT_EQ(members[2].second, "2");
  EXPECT_EQ(members[3].first, "\\");
  EXPECT_EQ(members[3].second, "{}");
  EXPECT_TRUE(ObjectMembers(" {} ", &members));
  EXPECT_TRUE(members.empty());
  EXPECT_FALSE(ObjectMembers("[1]", &members));
  EXPECT_FALSE(ObjectMembers("\"{}\"", &members));
}

TEST(JsonTextWithMember, ReplacesOneValueAndKeepsEveryOtherByte) {
  const std::string entry = R"({ "x":123456789012345678901234567890, "expires_at_ms" : 5 ,"y":1.50})";
  EXPECT_EQ(WithMember(entry, "expires_at_ms", "99"),
            R"({ "x":123456789012345678901234567890, "expires_at_ms" : 99 ,"y":1.50})");
  EXPECT_EQ(WithMember(entry, "x", "[]"), R"({ "x":[], "expires_at_ms" : 5 ,"y":1.50})");
  EXPECT_EQ(WithMember(R"({"a":{"version":1},"version":2})", "version", "3"), R"({"a":{"version":1},"version":3})");
  EXPECT_EQ(WithMember(R"({"k\u0065y":1})", "key", "2"), R"({"k\u0065y":2})");  // keys compare unescaped
}

TEST(JsonTextWithMember, AppendsAMissingMember) {
  EXPECT_EQ(WithMember(R"({"a":1} )", "version", "7"), R"({"a":1,"version":7} )");
  EXPECT_EQ(WithMember(" { } ", "version", "7"), R"( { "version":7} )");
  EXPECT_EQ(json::parse(WithMember(" { } ", "version", "7")), json::parse(R"({"version":7})"));
}

TEST(JsonTextIntegerValue, Int64OnlyAndWhole) {
  EXPECT_EQ(IntegerValue("0"), 0);
  EXPECT_EQ(IntegerValue("-0"), 0);
  EXPECT_EQ(IntegerValue("9223372036854775807"), INT64_MAX);
  EXPECT_EQ(IntegerValue("-9223372036854775808"), INT64_MIN);
  for (const char* not_int64 : {"9223372036854775808", "1.0", "1e3", "", "-", " 1", "1 ", "\"1\"", "null", "+1"}) {
    EXPECT_FALSE(IntegerValue(not_int64).has_value()) << not_int64;
  }
}

TEST(JsonTextQuoteJson, QuotesAndEscapesForNlohmann) {
  EXPECT_EQ(QuoteJson("a\"b\\c\n"), R"("a\"b\\c\n")");
  EXPECT_EQ(json::parse(QuoteJson("k\x01\xc3\xa9")).get<std::string>(), "k\x01\xc3\xa9");
}

}  // namespace
}  // namespace file
}  // namespace kreg
