// SPDX-License-Identifier: GPL-3.0-or-later
#include "mlsan/extract/wordpiece.h"

#include <cctype>
#include <stdexcept>

#include "mlsan/data/atomic_file.h"

namespace mlsan::extract {
namespace {

bool isPunct(unsigned char c) { return c < 128 && std::ispunct(c); }
bool isSpace(unsigned char c) { return c < 128 && std::isspace(c); }

}  // namespace

WordPiece WordPiece::fromFile(const std::string& path) { return fromText(data::readFile(path), path); }

WordPiece WordPiece::fromText(const std::string& text, const std::string& name) {
  WordPiece w;
  std::size_t from = 0;
  std::int64_t id = 0;
  bool upper = false;
  while (from < text.size()) {
    std::size_t nl = text.find('\n', from);
    if (nl == std::string::npos) nl = text.size();
    std::string token = text.substr(from, nl - from);
    if (!token.empty() && token.back() == '\r') token.pop_back();
    from = nl + 1;
    if (!token.empty()) {
      w.vocab_.emplace(token, id);
      if (token.front() != '[' && std::isupper(static_cast<unsigned char>(token.front()))) upper = true;
    }
    ++id;  // an empty line still takes its id
  }
  auto need = [&](const char* t) {
    const auto it = w.vocab_.find(t);
    if (it == w.vocab_.end()) throw std::runtime_error(name + ": not a WordPiece vocabulary (no " + t + " token)");
    return it->second;
  };
  w.cls_ = need("[CLS]");
  w.sep_ = need("[SEP]");
  w.unk_ = need("[UNK]");
  w.lower_ = !upper;
  return w;
}

std::vector<std::string> WordPiece::pieces(const std::string& text) const {
  // Basic tokenisation: words split at whitespace, punctuation characters on their own.
  std::vector<std::string> words;
  std::string cur;
  for (unsigned char c : text) {
    if (isSpace(c) || isPunct(c)) {
      if (!cur.empty()) words.push_back(cur);
      cur.clear();
      if (isPunct(c)) words.emplace_back(1, static_cast<char>(c));
    } else {
      cur.push_back(lower_ && c < 128 ? static_cast<char>(std::tolower(c)) : static_cast<char>(c));
    }
  }
  if (!cur.empty()) words.push_back(cur);
  std::vector<std::string> out;
  for (const auto& word : words) {
    if (word.size() > 100) { out.emplace_back("[UNK]"); continue; }
    std::vector<std::string> parts;
    std::size_t start = 0;
    bool bad = false;
    while (start < word.size()) {
      std::size_t end = word.size();
      std::string found;
      while (start < end) {
        std::string piece = word.substr(start, end - start);
        if (start > 0) piece = "##" + piece;
        if (vocab_.count(piece)) { found = piece; break; }
        --end;
      }
      if (found.empty()) { bad = true; break; }
      parts.push_back(found);
      start = end;
    }
    if (bad) out.emplace_back("[UNK]");
    else out.insert(out.end(), parts.begin(), parts.end());
  }
  return out;
}

std::vector<std::int64_t> WordPiece::encode(const std::string& text, int maxLength) const {
  std::vector<std::int64_t> ids{cls_};
  for (const auto& p : pieces(text)) {
    if (static_cast<int>(ids.size()) + 1 >= maxLength) break;
    const auto it = vocab_.find(p);
    ids.push_back(it != vocab_.end() ? it->second : unk_);
  }
  ids.push_back(sep_);
  return ids;
}

}  // namespace mlsan::extract
