// Durations as config files and kregctl write them (kreg/duration.hpp): a
// whole number and one of ms, s, m, h; at most 24 days.
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "kreg/duration.hpp"

namespace kreg {
namespace {

using std::chrono::milliseconds;

constexpr int64_t kDayMs = 24LL * 3600 * 1000;

milliseconds Parsed(const std::string& text) {
  milliseconds d{-1};
  Status s = ParseDuration(text, &d);
  EXPECT_TRUE(s.ok()) << text << ": " << s.ToString();
  return d;
}

TEST(ParseDuration, EveryUnit) {
  EXPECT_EQ(Parsed("500ms"), milliseconds(500));
  EXPECT_EQ(Parsed("10s"), milliseconds(10000));
  EXPECT_EQ(Parsed("2m"), milliseconds(120000));
  EXPECT_EQ(Parsed("1h"), milliseconds(3600000));
}

TEST(ParseDuration, ZeroAndLeadingZeros) {
  EXPECT_EQ(Parsed("0ms"), milliseconds(0));
  EXPECT_EQ(Parsed("0s"), milliseconds(0));
  EXPECT_EQ(Parsed("0h"), milliseconds(0));
  EXPECT_EQ(Parsed("010s"), milliseconds(10000));
  EXPECT_EQ(Parsed("000000000001s"), milliseconds(1000)) << "twelve digits";
}

TEST(ParseDuration, TwentyFourDaysInEveryUnitAndOneMore) {
  EXPECT_EQ(kMaxDuration.count(), 24 * kDayMs);
  const struct {
    const char* at_limit;
    const char* over;
  } cases[] = {{"2073600000ms", "2073600001ms"}, {"2073600s", "2073601s"}, {"34560m", "34561m"}, {"576h", "577h"}};
  for (const auto& c : cases) {
    EXPECT_EQ(Parsed(c.at_limit), kMaxDuration) << c.at_limit;
    milliseconds untouched{7};
    Status s = ParseDuration(c.over, &untouched);
    EXPECT_EQ(s.code(), KREG_INVALID_ARGUMENT) << c.over;
    EXPECT_EQ(s.message(), "duration \"" + std::string(c.over) + "\" is too long (at most 24 days)");
    EXPECT_EQ(untouched, milliseconds(7)) << "nothing written on error";
  }
}

TEST(ParseDuration, TheLargestNumbersDoNotOverflow) {
  // Twelve nines times an hour in ms is 3.6e18, near int64's 9.2e18: the
  // check must come before the multiplication (UBSan would catch it).
  for (const char* text : {"999999999999ms", "999999999999s", "999999999999m", "999999999999h"}) {
    milliseconds d{7};
    EXPECT_EQ(ParseDuration(text, &d).message(), "duration \"" + std::string(text) + "\" is too long (at most 24 days)");
    EXPECT_EQ(d, milliseconds(7));
  }
}

// A whole number with a unit is never "bad", however many digits it has.
TEST(ParseDuration, MoreThanTwelveDigitsIsTooLong) {
  for (const char* text : {"9999999999999ms", "99999999999999999999s", "99999999999999999999999h"}) {
    milliseconds d{7};
    EXPECT_EQ(ParseDuration(text, &d).message(),
              "duration \"" + std::string(text) + "\" is too long (at most 24 days)");
    EXPECT_EQ(d, milliseconds(7));
  }
}

TEST(ParseDuration, LeadingZerosDoNotCount) {
  EXPECT_EQ(Parsed("0000000000001s"), milliseconds(1000));
  EXPECT_EQ(Parsed("000000000000000000000000000002073600000ms"), kMaxDuration);
}

TEST(ParseDuration, RefusedForms) {
  for (const char* text :
       {"", "10", "s", "ms", "-1s", "+1s", " 1s", "1s ", "1 s", "1.5s", ".5s", "1S", "1MS", "1H", "1sec", "1min",
        "1d", "1us", "1ns", "1e3ms", "0x10s", "1m1s", "1hh", "1sm", "1,000ms", "1_000ms", "\xef\xbc\x91s",
        "99999999999999999999999x"}) {
    milliseconds d{7};
    Status s = ParseDuration(text, &d);
    EXPECT_EQ(s.code(), KREG_INVALID_ARGUMENT) << "\"" << text << "\"";
    EXPECT_EQ(s.message(), "bad duration \"" + std::string(text) +
                               "\": write a whole number with a unit ms, s, m or h, e.g. 10s");
    EXPECT_EQ(d, milliseconds(7)) << "nothing written on error: \"" << text << "\"";
  }
}

TEST(FormatDuration, WholeSecondsInSecondsElseMilliseconds) {
  EXPECT_EQ(FormatDuration(milliseconds(0)), "0s");
  EXPECT_EQ(FormatDuration(milliseconds(1)), "1ms");
  EXPECT_EQ(FormatDuration(milliseconds(999)), "999ms");
  EXPECT_EQ(FormatDuration(milliseconds(1000)), "1s");
  EXPECT_EQ(FormatDuration(milliseconds(1500)), "1500ms");
  EXPECT_EQ(FormatDuration(milliseconds(120000)), "120s");
  EXPECT_EQ(FormatDuration(kMaxDuration), "2073600s");
}

TEST(FormatDuration, ParsesBackToTheSameDuration) {
  for (int64_t ms : {int64_t{0}, int64_t{1}, int64_t{999}, int64_t{1000}, int64_t{1001}, int64_t{60000},
                     int64_t{3600000}, kMaxDuration.count() - 1, kMaxDuration.count()}) {
    EXPECT_EQ(Parsed(FormatDuration(milliseconds(ms))), milliseconds(ms)) << ms;
  }
}

}  // namespace
}  // namespace kreg
