// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// MELD annotation CSVs (train_sent_emo.csv, dev_sent_emo.csv, test_sent_emo.csv):
// an RFC-4180 reader, the repair of the pre-2020 cp1252 mojibake, an annotation-only MELD
// corpus, global speaker identities from the Speaker names, and the join of the CSVs onto a
// feature corpus read from MultiEMO's pickles. All functions are pure (no shared state):
// any thread may call them, each on its own objects.
//
// Timestamps: `H:MM:SS,fff` with one or two hour digits. The part after the comma is a
// decimal fraction of a second, so the three 2-digit values of the real files
// (`00:06:47,28`) read as .28 s = 280 ms, not 28 ms: the utterances that follow them then
// start 0.20 s and 0.25 s later, the median gap between consecutive MELD utterances
// (0.21 s), where 28 ms would leave 0.94 s and 0.62 s. Each such value is noted in problems.
#include <string>
#include <string_view>
#include <vector>

#include "mlsan/data/corpus.h"

namespace mlsan::data {

/// One row of a MELD CSV, text already decoded and repaired (UTF-8). Plain data.
struct MeldRow {
  int line = 0;            ///< 1-based line in the file where the record starts
  int srNo = -1;           ///< `Sr No.` (not unique in the real files), -1 when absent
  std::string utterance;   ///< transcript, repaired (see repairCp1252Mojibake)
  std::string speaker;     ///< Speaker name, repaired, trimmed, inner whitespace collapsed
  std::string emotion;     ///< as written (e.g. "neutral")
  std::string sentiment;   ///< as written, empty when the column is absent
  int label = -1;          ///< meldLabels() id of `emotion`
  int dialogueId = -1;     ///< the file's own Dialogue_ID (not MultiEMO's key)
  int utteranceId = -1;    ///< Utterance_ID (gaps exist)
  int season = -1, episode = -1;
  double startSeconds = -1.0, endSeconds = -1.0;  ///< -1 when absent or malformed
};

/// A whole MELD CSV file as read. Plain data.
struct MeldCsv {
  std::string path;
  std::vector<MeldRow> rows;               ///< in file order
  std::vector<std::string> problems;       ///< non-fatal findings, each naming the file (and line)
};

/// Reads one MELD CSV. Throws std::runtime_error naming the file (and line, column or value)
/// when the file cannot be read, is empty, lacks a required column (Utterance, Speaker,
/// Emotion, Dialogue_ID, Utterance_ID), has a record with the wrong number of fields, an
/// unterminated quoted field, a non-numeric Dialogue_ID/Utterance_ID or an unknown emotion.
/// Everything else (bad timestamps, invalid UTF-8, missing optional columns, a header-only
/// file) is recorded in MeldCsv::problems.
MeldCsv readMeldCsv(const std::string& path);
/// Same as readMeldCsv on bytes already in memory; `name` stands for the file in messages.
MeldCsv parseMeldCsv(std::string_view bytes, const std::string& name);

/// Maps the code points U+0080..U+009F of valid UTF-8 text to the characters cp1252 gives
/// those bytes (U+0092 -> ’, U+0085 -> …, U+0097 -> —, U+0091/93/94 -> ‘ “ ”, ...) and
/// U+00A0 (no-break space) to a plain space, as the current MELD release has it; the five
/// bytes cp1252 leaves undefined (0x81 0x8D 0x8F 0x90 0x9D) stay as they are. Text without
/// these code points is returned unchanged. Use it on the transcripts of MELD pickles too.
std::string repairCp1252Mojibake(std::string text);

/// Parses a MELD timestamp (`00:16:16,059`, `0:11:36,446`, `00:06:47,28`) into seconds;
/// returns -1 when malformed. A '.' is accepted in place of the comma.
double parseMeldTimestamp(std::string_view text);

/// The speaker name used for identities: the repaired, trimmed name, and for a role name
/// "Name/Role" ("Phoebe/Waitress", "Joey/Drake", "Rachel/actress") the person before the
/// slash. Choral names ("Joey and Chandler", "All") stay as they are: they are no one
/// person, and being rare they end up in "other".
std::string canonicalMeldSpeaker(const std::string& name);

/// Options of the MELD readers. Plain data.
struct MeldOptions {
  /// Speakers with fewer training utterances share the "other" identity (the main six
  /// characters always have their own).
  int minSpeakerUtterances = 20;
};

/// The annotation-only MELD corpus from `dir`/{train,dev,test}_sent_emo.csv: dialogue keys as
/// MultiEMO numbers them (train Dialogue_ID, dev +1039, test +1153), splits Train/Dev/Test,
/// utterances ordered by Utterance_ID, dialogues by numeric key, speakers from the names
/// (speakerSource "names"), no features. Throws std::runtime_error as readMeldCsv does.
Corpus readMeldCsvFolder(const std::string& dir, const MeldOptions& options = {});

/// Joins the MELD CSVs in `csvDir` onto a corpus read from MultiEMO's pickles (dialogue keys
/// as above, utterances in Utterance_ID order without gaps, MELD dev merged into Train).
/// Per dialogue matched by key with the same number of utterances: sets the global speaker
/// identities from the names (training = the corpus's Train dialogues), utteranceId, times,
/// season, episode and the transcript (the CSV's repaired text replaces the corpus's). A
/// dialogue whose key is unknown or whose counts differ keeps its data and is reported; its
/// utterances get "other" (when no dialogue joins at all, the speakers stay as they were).
/// Splits, labels, parties and features are left as they are (label, party and transcript
/// disagreements beyond the mojibake are counted in problems). Throws only as
/// readMeldCsvFolder does, before changing the corpus.
void attachMeldCsv(Corpus& corpus, const std::string& csvDir, const MeldOptions& options = {});

}  // namespace mlsan::data
