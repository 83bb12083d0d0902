// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// BERT's WordPiece tokenizer, for a TorchScript text extractor: the vocabulary file (vocab.txt,
// one token per line, the line number is the id), BERT's basic tokenisation (whitespace, each
// punctuation character a token of its own, lower-cased unless the vocabulary has upper-case
// words) and the greedy longest-match-first split into pieces ("##" marks a continuation); a
// word with no split, or longer than 100 characters, is [UNK]. Any thread (const).
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

namespace mlsan::extract {

class WordPiece {
 public:
  /// Throws std::runtime_error naming the file when it cannot be read or lacks [CLS], [SEP] or [UNK].
  static WordPiece fromFile(const std::string& path);
  /// The same from the file's text; `name` stands for the file in messages.
  static WordPiece fromText(const std::string& text, const std::string& name);
  /// [CLS] pieces... [SEP], at most maxLength ids (the pieces are cut to fit).
  std::vector<std::int64_t> encode(const std::string& text, int maxLength = 128) const;
  /// The pieces of a text (no [CLS]/[SEP]), as strings.
  std::vector<std::string> pieces(const std::string& text) const;
  std::size_t size() const { return vocab_.size(); }
  bool lowerCase() const { return lower_; }

 private:
  std::unordered_map<std::string, std::int64_t> vocab_;
  std::int64_t cls_ = 0, sep_ = 0, unk_ = 0;
  bool lower_ = true;
};

}  // namespace mlsan::extract
