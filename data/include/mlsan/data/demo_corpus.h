// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// The built-in demo corpus: generated in-process, deterministically from a seed, with the
// real feature dims (768/512/1000), MELD's label set and class imbalance, and each of the
// phenomena ML-SAN is about under its own knob. data/DEMO_CORPUS.md documents every knob.
// Pure function of its config: callable from any thread.
#include <cstdint>
#include <map>
#include <string>

#include "mlsan/data/corpus.h"

namespace mlsan::data {

struct DemoConfig {
  std::uint64_t seed = 7;
  // --- the corpus's form
  /// "meld" (the demo: MELD's 7 labels and class proportions, a cast of 12 named speakers plus a
  /// pool of extras, dataset "demo") or "iemocap": IEMOCAP's 6 labels and training class
  /// proportions, 10 actors (5 sessions x F/M, named "Ses01F" ...), every dialogue between the
  /// two actors of one session, keys "Ses0N?_impro.." as IEMOCAP's; the test split is the last
  /// session's dialogues (actors never seen in training, as in IEMOCAP); dataset "iemocap", so
  /// the iemocap preset (text DialogueRNN, 6 fusion layers) applies by default.
  std::string form = "meld";
  /// The name of the corpus of the demo family this config makes ("demo", "demo-iemocap",
  /// "demo-null", "demo-fingerprint"; see demoFamilyConfig): the corpus's name is "FAMILY (seed N)".
  /// Empty: "demo-iemocap" for the iemocap form, else "demo". Changes no draw.
  std::string family;
  // --- size and structure
  int dialogues = 600;          ///< total dialogues (split 68% train / 15% dev / 17% test by default)
  double devFraction = 0.15;    ///< share of dialogues in the dev split (large enough for stable model selection)
  double testFraction = 0.17;   ///< share of dialogues in the test split (the rest is train)
  int minTurns = 1, maxTurns = 24;
  int minSpeakers = 2, maxSpeakers = 6;
  int dimText = 768, dimAudio = 512, dimVisual = 1000;
  // --- emotion carried by context across turns
  double contextCarry = 0.6;    ///< probability an utterance keeps the previous turn's emotion
  // --- per-speaker emotional disposition: each speaker's fresh emotions follow MELD's class
  // proportions tilted by exp(N(0, dispositionSigma)) per class (0: everyone alike). The
  // default is MELD's own spread over the speakers the engine gives an identity (>= 20 training
  // utterances), measured by tools/meld_speaker_dispositions.py: 0.43, rounded to 0.4.
  double dispositionSigma = 0.4;
  // --- feature geometry: like real encoder outputs, each modality lives near a low-dimensional
  // latent space (latentDim) mapped into its full dims by a fixed random matrix, plus
  // isotropic noise of s.d. ambientNoise in every dimension.
  int latentDim = 24;
  double ambientNoise = 0.3;
  // --- how much each modality says about the emotion (class-mean separation, in latent noise s.d.)
  double textSeparation = 1.5;
  double audioSeparation = 3.0;
  double visualSeparation = 3.0;
  // --- per-speaker reliability of audio versus visual (what the gate should learn)
  double reliableProb = 0.9;    ///< P(the modality shows the true emotion) for a speaker's strong modality
  double unreliableProb = 0.2;  ///< the same for the speaker's weak modality (else a distractor emotion)
  double balancedProb = 0.65;   ///< both modalities, for speakers with no preference
  // --- per-speaker scale and shift of audio and visual features (what FiLM should undo)
  /// Off by default: a random per-dimension style lies almost entirely off the emotion manifold,
  /// so it names the speaker to any model without changing how emotions look (DEMO_CORPUS.md).
  double styleScaleSigma = 0.0; ///< log-normal s.d. of the per-dimension scale
  double styleShift = 0.0;      ///< s.d. of the per-dimension shift, relative to the clean feature's s.d.
  // --- per-speaker expression of emotion, in the emotion latent space of audio and visual
  // (before the map into the full dims): latent = baseline + gain * (prototype + noise).
  // Unlike the ambient scale/shift above (mostly orthogonal to the emotion subspace), these
  // make one speaker's neutral look like another's emotion. After the fixed linear map they
  // are a per-speaker affine transform of each dimension, so FiLM can undo them exactly.
  double expressGainSigma = 0.3;  ///< log-normal s.d. of a speaker's expressiveness (scalar gain)
  double expressBaseline = 0.0;   ///< s.d. of a speaker's resting expression, in latent noise s.d.
  /// A speaker's resting expression along an emotion: the speaker's audio and visual latents are
  /// shifted by restingExpression * (prototype[c] - prototype[neutral]) for one non-neutral class
  /// c drawn per speaker, so their neutral looks like another speaker's c.
  double restingExpression = 1.0;
  // --- missing faces: visual vector all zeros, as MultiEMO stores it
  double faceMissing = 0.04;
};

/// Sets one knob by its name in DEMO_CORPUS.md ("contextCarry", "styleShift", ...) from text.
/// Throws std::invalid_argument for an unknown knob or a bad value.
void setDemoKnob(DemoConfig& config, const std::string& name, const std::string& value);

/// Every knob of `config` by its name in DEMO_CORPUS.md, with its value as text (setDemoKnob reads
/// each back exactly), plus "seed". The recipe `mlsan corpus demo --out` keeps beside the corpus.
std::map<std::string, std::string> demoKnobs(const DemoConfig& config);
/// The inverse: a DemoConfig from demoKnobs' map. Throws std::invalid_argument for a bad entry.
DemoConfig demoConfigFromKnobs(const std::map<std::string, std::string>& knobs);

/// The demo cast: 12 named speakers, then "other" (a pool of extras, each with its own style).
const std::vector<std::string>& demoCast();

/// What the generator knows and the features only imply, for the studio's rendered demo clips
/// and for tests: per utterance (corpus row) the emotion the audio and the visual features show
/// (the true one, or a distractor when the modality was unreliable; -1 for a missing face), and
/// per speaker (named speakers, then one entry per extra) its reliability type and resting lean.
struct DemoTruth {
  std::vector<std::int8_t> audioShows, visualShows;   ///< per row
  std::vector<int> extraOf;                           ///< per row: the extra's index, -1 for named speakers
  struct Speaker {
    /// The speaker's nominal type, as the cast assigns it: named speakers cycle voice-led, face-led,
    /// balanced; extras draw one. In the demo it sets the reliabilities below; in demo-null every
    /// type gets the same ones, so the type is a label with no effect (demoTypeName).
    int type = 2;
    double audioReliability = 0, visualReliability = 0;
    int restingClass = 0;  ///< 0 (neutral) unless restingExpression is on
  };
  std::vector<Speaker> named, extras;
};

/// "voice-led" (type 0), "face-led" (1), "balanced" (2).
const char* demoTypeName(int type);

/// Generates the demo corpus. Same config, same corpus, bit for bit. With `truth`, also
/// reports what each modality shows (the corpus is the same either way).
Corpus makeDemoCorpus(const DemoConfig& config = {}, DemoTruth* truth = nullptr);

/// A MELD-sized corpus for benchmarks (1,152 training dialogues, about 11,000 training
/// utterances plus a 280-dialogue test split), same generator, real dims.
DemoConfig meldSizedConfig(std::uint64_t seed = 11);
/// The IEMOCAP-shaped corpus (form "iemocap"): 151 dialogues, 120 training (sessions 1-4) and 31
/// test (session 5), of 24-90 turns (about 7,400 utterances) between the session's two actors, no dev split (a run draws
/// its validation dialogues from training, as MultiEMO does), and each actor's ambient style on
/// (styleScaleSigma 0.6, styleShift 1: the values the demo had before 2026-11-23). Used by
/// `mlsan bench --preset iemocap` and opened as the corpus `demo-iemocap` (`demo-iemocap:SEED`).
DemoConfig iemocapSizedConfig(std::uint64_t seed = 13);
/// The controls of the demo (DEMO_CORPUS.md, "The controls"), the demo with one thing changed each.
/// Their knobs were frozen in one commit before any model ran on them and are never tuned to a
/// result. `demo-null` (seed 7): no speaker effect for any model to use: every speaker, whatever
/// its nominal type, has the same reliability for audio and visual (the mean of the demo's three
/// types, 0.5833), no disposition, no expressiveness, no resting expression, no ambient style.
/// `demo-fingerprint` (seed 7): the demo plus each speaker's ambient fingerprint in audio and
/// visual (styleShift 1, styleScaleSigma 0.6, the values before 2026-11-23), as real voices and
/// faces carry.
DemoConfig demoNullConfig(std::uint64_t seed = 7);
DemoConfig demoFingerprintConfig(std::uint64_t seed = 7);
/// The corpora of the demo family by name, in the order documented: "demo", "demo-iemocap",
/// "demo-null", "demo-fingerprint". Each opens as NAME or NAME:SEED wherever a corpus is named.
const std::vector<std::string>& demoFamilies();
/// The config of family `name` (one of demoFamilies()) at its default seed; false for another name.
bool demoFamilyConfig(const std::string& name, DemoConfig& config);
/// The corpus argument that regenerates a demo-family corpus from its name ("demo-null (seed 7)"
/// -> "demo-null", "demo (seed 8)" -> "demo:8"), or "" when the name is not of that form.
std::string demoCorpusArgument(const std::string& corpusName);

/// The IEMOCAP actors, in speaker-id order: Ses01F, Ses01M, ..., Ses05M.
const std::vector<std::string>& iemocapCast();

}  // namespace mlsan::data
