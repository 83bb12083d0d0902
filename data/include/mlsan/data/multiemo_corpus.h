// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// Corpora stored as Python pickles, in the two layouts ERC code uses:
//  - MultiEMO's Data/MELD/ or Data/IEMOCAP/ folder: Speakers.pkl (a tuple: videoIDs,
//    videoSpeakers, videoLabels, videoText, videoAudio, videoVisual, videoSentence, trainVid,
//    testVid, and for MELD one unused field) plus TextFeatures.pkl, AudioFeatures.pkl and
//    VisualFeatures.pkl (each a dict dialogue key -> per-utterance vectors: an [L, D] numpy
//    array, or a list of L numpy vectors or float lists);
//  - the single annotation pickle of DialogueRNN / COSMIC (conv-emotion-cosmic/meld.pkl: a list
//    of 7: speakers, labels, labels2, sentences, trainIds, testIds, validIds; iemocap.pkl: a list
//    of 6: speakers, labels, sentences, train, test, dev), or a MultiEMO Speakers.pkl alone.
// Pickles are read with the safe reader of pickle.h (nothing in them is executed).
// All functions are reentrant: any thread may call them, each building its own Corpus.
#include <string>
#include <vector>

#include "mlsan/data/corpus.h"

namespace mlsan::data {

/// Options of the pickle corpus readers. Plain data.
struct MultiEmoOptions {
  std::string dataset;  ///< "meld", "iemocap", or "" to detect it (field count, speaker form, keys)
  /// Expected feature dims (MultiEMO: text 768 EmoBERTa, audio 512, visual 1000). 0 accepts any
  /// dim, which must then be the same in every dialogue.
  int dimText = 768, dimAudio = 512, dimVisual = 1000;
  std::string name;     ///< Corpus::name; empty for "MELD (MultiEMO)" and the like
};

/// Reads a MultiEMO folder. Speakers.pkl is required; the three feature pickles are read when all
/// are present (a folder with Speakers.pkl alone gives an annotation-only corpus, noted in
/// problems). Dialogues come in key order (MELD int keys numerically, IEMOCAP keys as strings);
/// trainVid -> Split::Train (MultiEMO merged MELD's dev into it), testVid -> Split::Test.
/// Speakers: MELD's one-hot party vectors give Utterance::party and, with no global identity
/// known, speakers "party 1".."party 9" (speakerSource "party"); IEMOCAP's 'M'/'F' give the actor
/// (session + gender, e.g. "Ses01M"; speakerSource "actors") and party 0/1 in order of appearance.
/// Throws std::runtime_error naming the file and dialogue (and utterance) for missing or extra
/// dialogues, utterance counts that differ between the files, wrong feature dims, NaN or Inf,
/// labels out of range, or a malformed layout; PickleError for a malformed or unsafe pickle.
Corpus readMultiEmoFolder(const std::string& dir, const MultiEmoOptions& options = {});

/// Reads one annotation pickle: a DialogueRNN/COSMIC list (6 or 7 fields) or a MultiEMO
/// Speakers.pkl (9 or 10 fields). No features (dims 0). Splits from the key lists; a dev / valid
/// list gives Split::Dev. Throws as readMultiEmoFolder does.
Corpus readDialogueRnnPickle(const std::string& file, const MultiEmoOptions& options = {});

/// How a feature pickle written by writeMultiEmoFolder holds each dialogue's vectors.
enum class FeatureForm {
  Arrays,   ///< one float32 numpy array [utterances, dim] per dialogue (MultiEMO's own files)
  Vectors,  ///< a list of float32 numpy vectors per dialogue
  Lists,    ///< a list of lists of Python floats per dialogue (no numpy)
};

/// Options of writeMultiEmoFolder. Plain data.
struct MultiEmoWriteOptions {
  int protocol = 4;                 ///< pickle protocol, 2 to 5
  FeatureForm form = FeatureForm::Arrays;
  bool features = true;             ///< false: Speakers.pkl only
};

/// What writeMultiEmoFolder changed to fit MultiEMO's layout, for the caller to tell the user.
struct MultiEmoWriteReport {
  std::size_t devMergedIntoTrain = 0;  ///< dev dialogues written to trainVid (the layout has no dev list)
  std::size_t keysReplaced = 0;        ///< MELD layout: keys that are not numbers, replaced by the dialogue's index
  /// One sentence per change ("12 dev dialogues were written to trainVid: ..."); empty when none.
  std::vector<std::string> notes() const;
};

/// Writes `corpus` as a MultiEMO folder (Speakers.pkl and, with features, the three feature
/// pickles) in `dir`, created if needed; files are written atomically. The layout follows the
/// corpus's dataset: "iemocap" gives IEMOCAP's 9-field tuple with 'M'/'F' speakers (the last
/// letter of the speaker's name when it is M or F, else M for party 0 and F for others);
/// anything else MELD's 10-field tuple with one-hot parties and int keys (a key that is not a
/// number is replaced by the dialogue's index). Train and Dev dialogues go to trainVid, as in
/// MultiEMO; the report says how many dev dialogues (and replaced keys) there were. Used for
/// fixtures and `mlsan bench load`. Throws std::runtime_error naming the file.
MultiEmoWriteReport writeMultiEmoFolder(const Corpus& corpus, const std::string& dir, const MultiEmoWriteOptions& options = {});

/// What a corpus path holds, as far as a cheap look (names, first bytes) can tell.
enum class CorpusKind {
  Unknown,
  ProjectFolder,     ///< the project's format: a folder with corpus.json (corpus_io.h)
  MultiEmoFolder,    ///< a folder with Speakers.pkl (readMultiEmoFolder)
  AnnotationPickle,  ///< a pickle file: DialogueRNN/COSMIC list or a lone Speakers.pkl (readDialogueRnnPickle)
  MeldCsvFolder,     ///< a folder with MELD's *_sent_emo.csv (meld_csv.h: readMeldCsvFolder)
};
const char* corpusKindName(CorpusKind kind);
/// Never throws; Unknown when the path does not exist or is not recognised.
CorpusKind detectCorpusKind(const std::string& path);

/// The files a pickle corpus at `path` is read from (MultiEMO folder: the pickles present;
/// annotation pickle: the file itself), e.g. to key a cache (corpus_cache.h). Empty otherwise.
std::vector<std::string> pickleCorpusSources(const std::string& path);

/// readMultiEmoFolder or readDialogueRnnPickle, whichever `path` is; throws std::runtime_error
/// when it is neither.
Corpus readPickleCorpus(const std::string& path, const MultiEmoOptions& options = {});

}  // namespace mlsan::data
