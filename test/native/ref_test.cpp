// The apiKeyRef v1 rules (native/src/ref.cpp). Every case of the shared
// corpus test/fixtures/ref-corpus.json (also run through the JSON schema and
// the addon by test/node/ref_corpus.test.js) is its own test here, followed
// by the rules a table cannot express: parts, positions, message hygiene,
// huge and truncated inputs.
#include "keyref/ref.h"

#include <gtest/gtest-spi.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstddef>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace keyref {
namespace {

struct CorpusCase {
  std::size_t index = 0;
  std::string ref;
  bool has_policy = false;
  std::vector<std::string> policy;
  std::string code;
  bool literal_only = false;
};

// Printed by gtest on failure; never used for secrets (the corpus holds only
// synthetic keys).
void PrintTo(const CorpusCase& c, std::ostream* os) {
  *os << "corpus[" << c.index << "] "
      << nlohmann::json(c.ref).dump(-1, ' ', true) << " -> " << c.code;
}

std::vector<CorpusCase> LoadCorpus() {
  std::ifstream in(KEYREF_SOURCE_DIR "/test/fixtures/ref-corpus.json");
  if (!in) return {};
  nlohmann::json doc = nlohmann::json::parse(in);
  std::vector<CorpusCase> cases;
  for (const auto& item : doc) {
    CorpusCase c;
    c.index = cases.size();
    c.ref = item.at("ref").get<std::string>();
    c.code = item.at("code").get<std::string>();
    if (item.contains("policy")) {
      c.has_policy = true;
      c.policy = item.at("policy").get<std::vector<std::string>>();
    }
    c.literal_only = item.value("literalOnly", false);
    cases.push_back(std::move(c));
  }
  return cases;
}

const std::vector<CorpusCase>& Corpus() {
  static const std::vector<CorpusCase> corpus = LoadCorpus();
  return corpus;
}

SchemeSet PolicyOf(const CorpusCase& c) {
  if (!c.has_policy) return SchemeSet::Default();
  SchemeSet set;
  for (const std::string& name : c.policy) {
    Scheme s;
    EXPECT_TRUE(SchemeFromName(name, &s)) << "bad scheme in corpus: " << name;
    set.Add(s);
  }
  return set;
}

// Everything DescribeRefError can say without looking at an input: its
// text for every code, rule, scheme, family and case flag, with no parts and
// no position. "May name the scheme, the rule and the position" means a
// message is made of this vocabulary plus a number.
const std::vector<std::string>& Vocabulary() {
  static const std::vector<std::string> vocabulary = [] {
    std::vector<std::string> v;
    for (int code = 0; code <= static_cast<int>(ErrorCode::kRefBadName);
         ++code) {
      for (int rule = 0; rule <= static_cast<int>(RefRule::kBadSpace); ++rule) {
        for (int scheme = 0; scheme < kSchemeCount; ++scheme) {
          for (int fam = 0;
               fam <= static_cast<int>(CredentialFamily::kHighEntropy); ++fam) {
            for (bool case_mismatch : {false, true}) {
              RefCheck c;
              c.code = static_cast<ErrorCode>(code);
              c.rule = static_cast<RefRule>(rule);
              c.scheme = static_cast<Scheme>(scheme);
              c.scheme_known = true;
              c.family = static_cast<CredentialFamily>(fam);
              c.case_mismatch = case_mismatch;
              Error e = DescribeRefError(c);
              v.push_back(e.message);
              v.push_back(e.hint);
            }
          }
        }
      }
    }
    std::sort(v.begin(), v.end());
    v.erase(std::unique(v.begin(), v.end()), v.end());
    return v;
  }();
  return vocabulary;
}

bool InVocabulary(std::string_view piece) {
  for (const std::string& text : Vocabulary()) {
    if (text.find(piece) != std::string::npos) return true;
  }
  return false;
}

// Fails when `text` repeats a piece of `input` longer than 4 bytes that the
// fixed vocabulary does not hold (a piece such as "secret:" or "Bearer" is
// the rule's own text, not the input's).
void ExpectNoPieceOf(std::string_view input, const std::string& text,
                     const char* what) {
  for (std::size_t i = 0; i + 5 <= input.size(); ++i) {
    std::string_view piece = input.substr(i, 5);
    if (text.find(piece) == std::string::npos) continue;
    EXPECT_TRUE(InVocabulary(piece))
        << what << " repeats input piece at byte " << i << ": " << text;
  }
}

TEST(RefCorpus, IsLoadedAndLarge) {
  ASSERT_GE(Corpus().size(), 170u)
      << "could not read " KEYREF_SOURCE_DIR "/test/fixtures/ref-corpus.json";
}

TEST(RefCorpus, CoversEveryCode) {
  for (const char* code :
       {"OK", "REF_EMPTY", "REF_LITERAL_SECRET", "REF_TOO_LONG", "REF_BAD_CHAR",
        "REF_NO_SCHEME", "REF_UNKNOWN_SCHEME", "REF_SCHEME_DISABLED",
        "REF_BAD_NAME"}) {
    std::size_t n = 0;
    for (const CorpusCase& c : Corpus()) n += c.code == code;
    EXPECT_GE(n, 1u) << code;
  }
}

class RefCorpusCase : public ::testing::TestWithParam<CorpusCase> {};

TEST_P(RefCorpusCase, HasItsCode) {
  const CorpusCase& c = GetParam();
  const SchemeSet policy = PolicyOf(c);
  RefCheck check = CheckRef(c.ref, policy);
  EXPECT_STREQ(ErrorCodeName(check.code), c.code.c_str());

  Result<ParsedRef> parsed = ParseRef(c.ref, policy);
  EXPECT_EQ(parsed.ok(), c.code == "OK");
  if (parsed.ok()) {
    EXPECT_EQ(parsed.value().ref, c.ref);
    EXPECT_EQ(parsed.value().scheme, check.scheme);
    return;
  }
  const Error& e = parsed.error();
  EXPECT_STREQ(ErrorCodeName(e.code), c.code.c_str());
  EXPECT_FALSE(e.message.empty());
  ExpectNoPieceOf(c.ref, e.message, "message");
  ExpectNoPieceOf(c.ref, e.hint, "hint");
  if (c.literal_only) EXPECT_EQ(check.code, ErrorCode::kRefLiteralSecret);
  if (check.code == ErrorCode::kRefLiteralSecret) {
    EXPECT_NE(check.family, CredentialFamily::kNone);
  }
}

std::string CaseName(const ::testing::TestParamInfo<CorpusCase>& info) {
  std::string index = std::to_string(info.param.index);
  return std::string(3 - std::min<std::size_t>(3, index.size()), '0') + index +
         "_" + info.param.code;
}

INSTANTIATE_TEST_SUITE_P(Corpus, RefCorpusCase, ::testing::ValuesIn(Corpus()),
                         CaseName);

// ---- parts --------------------------------------------------------------

TEST(RefParts, Secret) {
  auto r = ParseRef("secret:openai/prod");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.value().scheme, Scheme::kSecret);
  EXPECT_EQ(r.value().name, "openai/prod");
  EXPECT_EQ(r.value().ref, "secret:openai/prod");
  EXPECT_EQ(r.value().service, "");
  EXPECT_EQ(r.value().field, "");
}

TEST(RefParts, Env) {
  auto r = ParseRef("env:OPENAI_API_KEY");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.value().scheme, Scheme::kEnv);
  EXPECT_EQ(r.value().name, "OPENAI_API_KEY");
}

TEST(RefParts, KeyringWithService) {
  auto r = ParseRef("keyring:com.example.app/alice@example.com");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.value().scheme, Scheme::kKeyring);
  EXPECT_EQ(r.value().name, "com.example.app/alice@example.com");
  EXPECT_EQ(r.value().service, "com.example.app");
  EXPECT_EQ(r.value().account, "alice@example.com");
}

TEST(RefParts, KeyringDefaultService) {
  auto r = ParseRef("keyring:alice");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.value().service, "");
  EXPECT_EQ(r.value().account, "alice");
}

TEST(RefParts, OpThreeSegments) {
  auto r = ParseRef("op://Private/Open AI/credential", SchemeSet::All());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.value().scheme, Scheme::kOp);
  EXPECT_EQ(r.value().name, "Private/Open AI/credential");
  EXPECT_EQ(r.value().vault, "Private");
  EXPECT_EQ(r.value().item, "Open AI");
  EXPECT_EQ(r.value().section, "");
  EXPECT_EQ(r.value().field, "credential");
}

TEST(RefParts, OpFourSegments) {
  auto r = ParseRef("op://v/i/api keys/f", SchemeSet::All());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.value().vault, "v");
  EXPECT_EQ(r.value().item, "i");
  EXPECT_EQ(r.value().section, "api keys");
  EXPECT_EQ(r.value().field, "f");
}

TEST(RefParts, Pass) {
  auto r = ParseRef("pass:llm/openai", SchemeSet::All());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.value().scheme, Scheme::kPass);
  EXPECT_EQ(r.value().name, "llm/openai");
}

TEST(RefParts, File) {
  auto r = ParseRef("file:team/openai", SchemeSet::All());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.value().scheme, Scheme::kFile);
  EXPECT_EQ(r.value().name, "team/openai");
}

TEST(RefParts, CheckRefPartsPointIntoTheInput) {
  const std::string input = "keyring:svc/bob";
  RefCheck c = CheckRef(input, SchemeSet::Default());
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c.parts.service.data(), input.data() + 8);
  EXPECT_EQ(c.parts.account.data(), input.data() + 12);
}

// ---- positions ----------------------------------------------------------

struct PositionCase {
  const char* ref;
  ErrorCode code;
  RefRule rule;
  std::uint32_t position;
};

TEST(RefPosition, NamesTheOffendingCharacter) {
  const PositionCase cases[] = {
      {"env:OPENAI_API_KEY ", ErrorCode::kRefBadChar, RefRule::kWhitespace, 19},
      {" env:X", ErrorCode::kRefBadChar, RefRule::kWhitespace, 1},
      {"env:\tX", ErrorCode::kRefBadChar, RefRule::kWhitespace, 5},
      {"env:A\001B", ErrorCode::kRefBadChar, RefRule::kControl, 6},
      {"\xEF\xBB\xBFsecret:openai", ErrorCode::kRefBadChar, RefRule::kNonAscii,
       1},
      // Positions count characters, not bytes: the Cyrillic letter is 2 bytes.
      {"secret:\xD0\xBEpenai x", ErrorCode::kRefBadChar, RefRule::kNonAscii, 8},
      {"secret:ab\xD0\xBE\xD0\xBE", ErrorCode::kRefBadChar, RefRule::kNonAscii,
       10},
      {"secret:a//b", ErrorCode::kRefBadName, RefRule::kSegmentEmpty, 10},
      {"secret:-a", ErrorCode::kRefBadName, RefRule::kLeadingDash, 8},
      {"secret:a/../b", ErrorCode::kRefBadName, RefRule::kSegmentDotDot, 10},
      {"secret:a/.", ErrorCode::kRefBadName, RefRule::kSegmentDot, 10},
      {"secret:a@b", ErrorCode::kRefBadName, RefRule::kCharNotAllowed, 9},
      {"secret:", ErrorCode::kRefBadName, RefRule::kNameEmpty, 8},
      {"env:1X", ErrorCode::kRefBadName, RefRule::kEnvFirstChar, 5},
      {"keyring:a/b/c", ErrorCode::kRefBadName, RefRule::kTooManySegments, 12},
      {"keyring:svc/-x", ErrorCode::kRefBadName, RefRule::kLeadingDash, 13},
      {"op://a/b/c?x", ErrorCode::kRefBadName, RefRule::kQueryString, 11},
      {"op://a/b/c  d", ErrorCode::kRefBadName, RefRule::kBadSpace, 11},
      {"op://a/b", ErrorCode::kRefBadName, RefRule::kTooFewSegments, 9},
      {"op:x", ErrorCode::kRefBadName, RefRule::kOpForm, 4},
      {"pass:a/-x", ErrorCode::kRefBadName, RefRule::kLeadingDash, 8},
  };
  for (const PositionCase& pc : cases) {
    SCOPED_TRACE(pc.ref);
    RefCheck c = CheckRef(pc.ref, SchemeSet::All());
    EXPECT_EQ(c.code, pc.code);
    EXPECT_EQ(c.rule, pc.rule);
    EXPECT_EQ(c.position, pc.position);
  }
}

TEST(RefPosition, EveryByteOfEveryWordIsChecked) {
  // The character pass reads eight bytes at a time: a bad byte must be found
  // in every lane of every word and in the tail, and nothing else flagged.
  const std::string base = "secret:abcdefghijklmnopqrstuvwxyz0123";  // 37
  ASSERT_TRUE(CheckRef(base, SchemeSet::All()).ok());
  for (char bad : {' ', '\t', '\x7f', '\x80', '\0', '\x1f', '\xff'}) {
    for (std::size_t i = 0; i < base.size(); ++i) {
      std::string ref = base;
      ref[i] = bad;
      RefCheck c = CheckRef(ref, SchemeSet::All());
      EXPECT_EQ(c.code, ErrorCode::kRefBadChar) << "byte " << i;
      EXPECT_EQ(c.position, i + 1) << "byte " << i;
    }
  }
  // The highest and lowest allowed bytes pass the character pass.
  EXPECT_NE(CheckRef("secret:~~~~~~~~!!!!!!!!", SchemeSet::All()).code,
            ErrorCode::kRefBadChar);
}

TEST(RefPosition, NameTooLongPointsPastTheLimit) {
  RefCheck c = CheckRef("secret:" + std::string(129, 'a'), SchemeSet::All());
  EXPECT_EQ(c.rule, RefRule::kNameTooLong);
  EXPECT_EQ(c.position, 7u + 129u);
}

TEST(RefPosition, AppearsInTheMessage) {
  Error e = DescribeRefError(CheckRef("env:OPENAI_API_KEY ", SchemeSet::All()));
  EXPECT_NE(e.message.find("position 19"), std::string::npos) << e.message;
}

// ---- messages -----------------------------------------------------------

TEST(RefMessage, LiteralSecretNamesTheFamilyNotTheKey) {
  const std::string key = "sk-proj-FAKE_example-0123456789abcdefNOTAKEY0000";
  RefCheck c = CheckRef("secret:" + key, SchemeSet::All());
  ASSERT_EQ(c.code, ErrorCode::kRefLiteralSecret);
  EXPECT_EQ(c.family, CredentialFamily::kSkKey);
  Error e = DescribeRefError(c);
  EXPECT_NE(e.message.find("sk- key"), std::string::npos);
  ExpectNoPieceOf(key, e.message, "message");
  ExpectNoPieceOf(key, e.hint, "hint");
  EXPECT_NE(e.hint.find("rotate"), std::string::npos);
}

TEST(RefMessage, NoSchemeHintOffersBothChoices) {
  Error e = DescribeRefError(CheckRef("OPENAI_API_KEY", SchemeSet::Default()));
  EXPECT_EQ(e.code, ErrorCode::kRefNoScheme);
  EXPECT_NE(e.hint.find("env:NAME"), std::string::npos);
  EXPECT_NE(e.hint.find("secret:NAME"), std::string::npos);
}

TEST(RefMessage, UppercaseSchemeHintNamesTheLowercaseOne) {
  RefCheck c = CheckRef("Secret:openai", SchemeSet::Default());
  EXPECT_EQ(c.code, ErrorCode::kRefUnknownScheme);
  EXPECT_TRUE(c.case_mismatch);
  Error e = DescribeRefError(c);
  EXPECT_NE(e.hint.find("write secret: instead"), std::string::npos) << e.hint;
}

TEST(RefMessage, DisabledSchemeHintNamesThePolicy) {
  Error e = DescribeRefError(CheckRef("pass:llm/openai", SchemeSet::Default()));
  EXPECT_EQ(e.code, ErrorCode::kRefSchemeDisabled);
  EXPECT_NE(e.message.find("pass"), std::string::npos);
  EXPECT_NE(e.hint.find("allowSchemes"), std::string::npos);
}

TEST(RefMessage, DependsOnlyOnTheVerdictNotOnTheInput) {
  for (const CorpusCase& c : Corpus()) {
    if (c.code == "OK") continue;
    RefCheck check = CheckRef(c.ref, PolicyOf(c));
    RefCheck blank = check;
    blank.parts = RefParts{};
    Error with_parts = DescribeRefError(check);
    Error without = DescribeRefError(blank);
    EXPECT_EQ(with_parts.message, without.message)
        << "corpus[" << c.index << "]";
    EXPECT_EQ(with_parts.hint, without.hint) << "corpus[" << c.index << "]";
  }
}

TEST(RefMessage, PieceCheckCatchesAQuotedInput) {
  // The hygiene check itself must be able to fail.
  EXPECT_NONFATAL_FAILURE(
      ExpectNoPieceOf("secret:zqxjk", "bad name zqxjk", "m"),
      "repeats input piece");
}

TEST(RefMessage, VocabularyHoldsNoCorpusKey) {
  // The exemption in ExpectNoPieceOf must not swallow key material.
  for (std::string_view piece :
       {"FAKE0", "EXAMP", "0123456789", "IOSFO", "eyJhb"}) {
    EXPECT_FALSE(InVocabulary(piece)) << piece;
  }
}

TEST(RefMessage, EveryRefusedCodeHasAHint) {
  for (const CorpusCase& c : Corpus()) {
    if (c.code == "OK") continue;
    Error e = DescribeRefError(CheckRef(c.ref, PolicyOf(c)));
    EXPECT_FALSE(e.hint.empty()) << "corpus[" << c.index << "]";
  }
}

// ---- huge and truncated inputs -----------------------------------------

TEST(RefLength, OneMegabyteIsTooLong) {
  const std::string huge(1 << 20, 'a');
  RefCheck c = CheckRef(huge, SchemeSet::All());
  EXPECT_EQ(c.code, ErrorCode::kRefTooLong);
  auto r = ParseRef(huge);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kRefTooLong);
}

TEST(RefLength, OneMegabyteWithBadCharactersIsStillTooLong) {
  std::string huge = "env:" + std::string(1 << 20, 'A');
  huge.back() = ' ';
  EXPECT_EQ(CheckRef(huge, SchemeSet::All()).code, ErrorCode::kRefTooLong);
}

TEST(RefLength, KeyAtTheStartOfAHugeInputIsALiteral) {
  std::string huge = "sk-FAKEfakeFAKEfake0123456789EXAMPLEkey00";
  huge.resize(1 << 20, 'a');
  EXPECT_EQ(CheckRef(huge, SchemeSet::All()).code,
            ErrorCode::kRefLiteralSecret);
}

TEST(RefLength, KeyPastTheScanLimitIsNotSeen) {
  // Only the first 1024 bytes are scanned; the input is too long anyway.
  std::string huge(1100, 'a');
  huge += "sk-FAKEfakeFAKEfake0123456789EXAMPLEkey00";
  EXPECT_EQ(CheckRef(huge, SchemeSet::All()).code, ErrorCode::kRefTooLong);
}

TEST(RefLength, EdgeInCharactersNotBytes) {
  // 128 two-byte characters after "secret:" = 135 characters, 263 bytes: not
  // too long, refused for the non-ASCII character.
  std::string s = "secret:";
  for (int i = 0; i < 128; ++i) s += "\xC3\xA9";
  EXPECT_EQ(CheckRef(s, SchemeSet::All()).code, ErrorCode::kRefBadChar);
  std::string t(250, 'a');
  for (int i = 0; i < 7; ++i) t += "\xC3\xA9";  // 257 characters
  EXPECT_EQ(CheckRef(t, SchemeSet::All()).code, ErrorCode::kRefTooLong);
}

TEST(RefTruncated, IsTooLongWhateverThePrefix) {
  EXPECT_EQ(CheckRef("env:X", SchemeSet::All(), true).code,
            ErrorCode::kRefTooLong);
  EXPECT_EQ(CheckRef("", SchemeSet::All(), true).code, ErrorCode::kRefTooLong);
  EXPECT_EQ(CheckRef("env:X ", SchemeSet::All(), true).code,
            ErrorCode::kRefTooLong);
}

TEST(RefTruncated, StillReportsALiteral) {
  EXPECT_EQ(CheckRef("ghp_FAKE0123456789abcdefEXAMPLEnotakey00",
                     SchemeSet::All(), true)
                .code,
            ErrorCode::kRefLiteralSecret);
}

TEST(RefTruncated, EmptyIsEmptyOnlyWhenNotTruncated) {
  EXPECT_EQ(CheckRef("", SchemeSet::All()).code, ErrorCode::kRefEmpty);
}

// ---- schemes and policy -------------------------------------------------

TEST(RefScheme, NamesRoundTrip) {
  for (int i = 0; i < kSchemeCount; ++i) {
    Scheme s = static_cast<Scheme>(i);
    Scheme back;
    ASSERT_TRUE(SchemeFromName(SchemeName(s), &back));
    EXPECT_EQ(back, s);
  }
  Scheme s;
  EXPECT_FALSE(SchemeFromName("ENV", &s));
  EXPECT_FALSE(SchemeFromName("", &s));
}

TEST(RefScheme, DefaultPolicyIsSecretEnvKeyring) {
  SchemeSet d = SchemeSet::Default();
  EXPECT_TRUE(d.Has(Scheme::kSecret));
  EXPECT_TRUE(d.Has(Scheme::kEnv));
  EXPECT_TRUE(d.Has(Scheme::kKeyring));
  EXPECT_FALSE(d.Has(Scheme::kOp));
  EXPECT_FALSE(d.Has(Scheme::kPass));
  EXPECT_FALSE(d.Has(Scheme::kFile));
  EXPECT_EQ(SchemeSet::FromBits(0xFF).bits(), SchemeSet::All().bits());
}

}  // namespace
}  // namespace keyref
