// SPDX-License-Identifier: GPL-3.0-or-later
#include "mlsan/data/demo_corpus.h"

#include <algorithm>
#include <initializer_list>
#include <cmath>
#include <cstdio>
#include <map>
#include <numeric>
#include <random>
#include <stdexcept>

namespace mlsan::data {
namespace {

/// Deterministic RNG with our own normal and uniform draws (std:: distributions are
/// implementation-defined; these are not).
class Rng {
 public:
  explicit Rng(std::uint64_t seed) : g_(seed) {}
  double uniform() { return (g_() >> 11) * (1.0 / 9007199254740992.0); }
  int below(int n) { return static_cast<int>(uniform() * n); }
  int between(int lo, int hi) { return lo + below(hi - lo + 1); }
  double normal() {
    if (hasSpare_) { hasSpare_ = false; return spare_; }
    double u, v, s;
    do { u = 2 * uniform() - 1; v = 2 * uniform() - 1; s = u * u + v * v; } while (s >= 1 || s == 0);
    const double m = std::sqrt(-2 * std::log(s) / s);
    spare_ = v * m; hasSpare_ = true;
    return u * m;
  }
  int categorical(const std::vector<double>& w) {
    const double total = std::accumulate(w.begin(), w.end(), 0.0);
    double r = uniform() * total;
    for (std::size_t i = 0; i < w.size(); ++i) { r -= w[i]; if (r < 0) return static_cast<int>(i); }
    return static_cast<int>(w.size()) - 1;
  }
 private:
  std::mt19937_64 g_;
  bool hasSpare_ = false;
  double spare_ = 0;
};

// MELD train class counts in MultiEMO's label order (neutral, surprise, fear, sadness, joy, disgust, anger).
const std::vector<double> kMeldPriors = {4710, 1205, 268, 683, 1743, 271, 1109};
// IEMOCAP's training class counts (sessions 1-4) in MultiEMO's order (happiness, sadness,
// neutral, anger, excitement, frustration); with the test counts 144/245/384/170/299/381 they
// make IEMOCAP's 7,433 utterances.
const std::vector<double> kIemocapPriors = {504, 839, 1324, 933, 742, 1468};

/// What the form decides: the label set's class proportions and which class is neutral.
struct Form {
  bool iemocap = false;
  const std::vector<double>* priors = &kMeldPriors;
  int neutral = 0;
  int classes = 7;
};
Form formOf(const DemoConfig& c) {
  if (c.form == "iemocap") return {true, &kIemocapPriors, 2, 6};
  return {};
}

enum class Channel { Voice, Face, Balanced };

struct Style {
  std::vector<float> audioScale, audioShift, visualScale, visualShift;
  // How the speaker expresses emotion, in the emotion latent space (see expressGainSigma and
  // expressBaseline): latent = baseline + gain * (prototype + noise).
  double audioGain = 1, visualGain = 1;
  std::vector<double> audioBaseline, visualBaseline;
  std::vector<double> prior;  // class proportions of the speaker's fresh emotions
  double audioReliability = 0.65, visualReliability = 0.65;
  int restingClass = 0;  // the emotion the speaker's resting expression leans to (0: neutral)
  int type = 2;          // the nominal type (Channel): voice-led 0, face-led 1, balanced 2
};

Style makeStyle(Rng& rng, const DemoConfig& c, const Form& f, Channel ch) {
  Style s;
  auto fill = [&](std::vector<float>& scale, std::vector<float>& shift, int dim) {
    scale.resize(dim); shift.resize(dim);
    for (int k = 0; k < dim; ++k) scale[k] = static_cast<float>(std::exp(c.styleScaleSigma * rng.normal()));
    for (int k = 0; k < dim; ++k) shift[k] = static_cast<float>(c.styleShift * rng.normal());
  };
  fill(s.audioScale, s.audioShift, c.dimAudio);
  fill(s.visualScale, s.visualShift, c.dimVisual);
  s.prior = *f.priors;
  for (auto& p : s.prior) p *= std::exp(c.dispositionSigma * rng.normal());
  // Drawn only when switched on, so that corpora made without them stay bit for bit the same.
  s.audioBaseline.assign(c.latentDim, 0.0);
  s.visualBaseline.assign(c.latentDim, 0.0);
  if (c.expressGainSigma > 0) {
    s.audioGain = std::exp(c.expressGainSigma * rng.normal());
    s.visualGain = std::exp(c.expressGainSigma * rng.normal());
  }
  if (c.expressBaseline > 0) {
    for (auto& v : s.audioBaseline) v = c.expressBaseline * rng.normal();
    for (auto& v : s.visualBaseline) v = c.expressBaseline * rng.normal();
  }
  if (c.restingExpression > 0) {  // any class but neutral
    const int r = rng.below(f.classes - 1);
    s.restingClass = r >= f.neutral ? r + 1 : r;
  }
  s.type = static_cast<int>(ch);
  switch (ch) {
    case Channel::Voice: s.audioReliability = c.reliableProb; s.visualReliability = c.unreliableProb; break;
    case Channel::Face: s.audioReliability = c.unreliableProb; s.visualReliability = c.reliableProb; break;
    case Channel::Balanced: s.audioReliability = s.visualReliability = c.balancedProb; break;
  }
  return s;
}

const std::map<int, std::vector<const char*>>& lines() {
  static const std::map<int, std::vector<const char*>> m = {
      {0, {"Okay, so what time are we meeting?", "I put the keys on the table.", "Sure, that works for me.",
           "Let me check the schedule.", "Did you call your mom back?", "It's on the second shelf."}},
      {1, {"Wait, what? You did what?", "Oh my god, really?", "No way! Since when?", "You're kidding me!",
           "Whoa, I did not see that coming."}},
      {2, {"I really don't want to go in there.", "What if they find out?", "Please tell me that's not a spider.",
           "I think someone's following us."}},
      {3, {"I just miss her, you know?", "It's over. She's gone.", "I really thought this would work.",
           "Nobody even remembered my birthday."}},
      {4, {"This is the best day ever!", "I got the job!", "Ha! That's hilarious.", "I love you guys so much!",
           "We're going to Vegas!"}},
      {5, {"Ew, what is that smell?", "That's disgusting.", "Did you just lick the spoon?", "Gross. Put it away."}},
      {6, {"Are you serious right now?", "Get out of my apartment!", "You ate my sandwich!", "I told you a hundred times!",
           "Don't you dare walk away from me."}}};
  return m;
}

}  // namespace

const std::vector<std::string>& demoCast() {
  static const std::vector<std::string> cast = {"Ava", "Ben", "Chloe", "Dev", "Ellie", "Finn", "Gus",
                                                "Hana", "Ivan", "Jade", "Kai", "Lena", "other"};
  return cast;
}

const char* demoTypeName(int type) {
  static const char* const names[] = {"voice-led", "face-led", "balanced"};
  return type >= 0 && type < 3 ? names[type] : "?";
}

const std::vector<std::string>& iemocapCast() {
  static const std::vector<std::string> cast = {"Ses01F", "Ses01M", "Ses02F", "Ses02M", "Ses03F",
                                                "Ses03M", "Ses04F", "Ses04M", "Ses05F", "Ses05M"};
  return cast;
}

Corpus makeDemoCorpus(const DemoConfig& c, DemoTruth* truth) {
  Rng rng(c.seed * 0x9E3779B97F4A7C15ULL + 1);
  Corpus corpus;
  const Form form = formOf(c);
  if (!form.iemocap && c.form != "meld") throw std::invalid_argument("demo corpus: unknown form '" + c.form + "' (expected meld or iemocap)");
  const std::string family = !c.family.empty() ? c.family : form.iemocap ? "demo-iemocap" : "demo";
  corpus.name = family + " (seed " + std::to_string(c.seed) + ")";
  corpus.dataset = form.iemocap ? "iemocap" : "demo";
  corpus.labels = form.iemocap ? iemocapLabels() : meldLabels();
  corpus.speakers = form.iemocap ? iemocapCast() : demoCast();
  corpus.dimText = c.dimText; corpus.dimAudio = c.dimAudio; corpus.dimVisual = c.dimVisual;
  const int numClasses = corpus.labels.size();
  // The IEMOCAP form has no "other": every speaker is a named actor.
  const int named = static_cast<int>(corpus.speakers.size()) - (form.iemocap ? 0 : 1);
  const int otherId = form.iemocap ? -1 : named;

  // Per modality: class prototypes in a latent space (two class means lie `separation`
  // latent-noise s.d. apart) and a fixed random map from the latent space to the full dims,
  // scaled so a clean feature has unit variance per dimension.
  struct Space {
    int dim = 0;
    std::vector<float> proto;  // [classes x latent]
    std::vector<float> map;    // [dim x latent]
  };
  const int k = c.latentDim;
  auto makeSpace = [&](int dim, double separation) {
    Space sp;
    sp.dim = dim;
    sp.proto.resize(static_cast<std::size_t>(numClasses) * k);
    const double amp = separation / std::sqrt(2.0 * k);
    for (auto& v : sp.proto) v = static_cast<float>(amp * rng.normal());
    sp.map.resize(static_cast<std::size_t>(dim) * k);
    const double mapScale = 1.0 / std::sqrt(k * (1.0 + amp * amp));
    for (auto& v : sp.map) v = static_cast<float>(mapScale * rng.normal());
    return sp;
  };
  const Space textSpace = makeSpace(c.dimText, c.textSeparation);
  const Space audioSpace = makeSpace(c.dimAudio, c.audioSeparation);
  const Space visualSpace = makeSpace(c.dimVisual, c.visualSeparation);
  std::vector<double> latent(k);
  // Writes the features of one utterance showing emotion `label` into out[0..dim), as expressed
  // by a speaker with the given latent baseline and gain (text: none, gain 1).
  const std::vector<double> noBaseline(k, 0.0);
  auto synthesize = [&](const Space& sp, int label, float* out, const std::vector<double>& baseline, double gain) {
    for (int j = 0; j < k; ++j) latent[j] = baseline[j] + gain * (sp.proto[label * k + j] + rng.normal());
    for (int i = 0; i < sp.dim; ++i) {
      double v = 0;
      const float* row = sp.map.data() + static_cast<std::size_t>(i) * k;
      for (int j = 0; j < k; ++j) v += row[j] * latent[j];
      out[i] = static_cast<float>(v + c.ambientNoise * rng.normal());
    }
  };
  std::vector<float> scratch(std::max({c.dimText, c.dimAudio, c.dimVisual}));

  // Speaker styles: named speakers cycle voice-led, face-led, balanced; extras are random.
  std::vector<Style> styles;
  for (int s = 0; s < named; ++s) styles.push_back(makeStyle(rng, c, form, static_cast<Channel>(s % 3)));
  const int numExtras = form.iemocap ? 0 : 24;
  std::vector<Style> extras;
  for (int e = 0; e < numExtras; ++e) extras.push_back(makeStyle(rng, c, form, static_cast<Channel>(rng.below(3))));
  // Resting expression: the same lean in both modalities, so that the modalities agree on it and
  // only the speaker's identity tells a resting face from a felt emotion.
  auto lean = [&](Style& st) {
    if (st.restingClass == 0) return;
    for (int j = 0; j < k; ++j) {
      st.audioBaseline[j] += c.restingExpression * (audioSpace.proto[st.restingClass * k + j] - audioSpace.proto[form.neutral * k + j]);
      st.visualBaseline[j] += c.restingExpression * (visualSpace.proto[st.restingClass * k + j] - visualSpace.proto[form.neutral * k + j]);
    }
  };
  for (auto& st : styles) lean(st);
  for (auto& st : extras) lean(st);
  if (truth) {
    *truth = DemoTruth{};
    for (const auto* group : {&styles, &extras})
      for (const Style& st : *group)
        (group == &styles ? truth->named : truth->extras)
            .push_back({st.type, st.audioReliability, st.visualReliability, st.restingClass});
  }
  // How often each named speaker appears: the first six are the leads.
  std::vector<double> castWeight(named + 1);
  for (int s = 0; s < named; ++s) castWeight[s] = s < 6 ? 6.0 : 1.5;
  if (otherId >= 0) castWeight[otherId] = 2.0;

  const int nTrain = static_cast<int>(std::lround(c.dialogues * (1.0 - c.devFraction - c.testFraction)));
  const int nDev = static_cast<int>(std::lround(c.dialogues * c.devFraction));
  int season = 1, episode = 1, inEpisode = 0;
  double clock = 0;
  std::vector<int> perSession(5, 0);
  for (int di = 0; di < c.dialogues; ++di) {
    Dialogue d;
    d.key = std::to_string(di);
    d.split = di < nTrain ? Split::Train : di < nTrain + nDev ? Split::Dev : Split::Test;
    if (inEpisode == 18) { inEpisode = 0; clock = 0; if (++episode > 12) { episode = 1; ++season; } }
    ++inEpisode;
    d.season = season; d.episode = episode;

    const int turns = c.minTurns + static_cast<int>(std::floor((c.maxTurns - c.minTurns + 1) * std::pow(rng.uniform(), 1.6)));
    std::vector<int> who, extraOf;
    if (form.iemocap) {
      // The session's two actors; test dialogues are session 5's, the others cycle through 1-4.
      const int session = d.split == Split::Test ? 4 : di % 4;
      const int first = rng.below(2);
      who = {2 * session + first, 2 * session + 1 - first};
      extraOf = {-1, -1};
      char key[32];
      std::snprintf(key, sizeof key, "Ses0%d%c_impro%02d", session + 1, first == 0 ? 'F' : 'M', ++perSession[session]);
      d.key = key;
      d.season = session + 1;
      d.episode = 1;
    } else {
      const int nSpeakers = std::min(turns < 2 ? 1 : turns, rng.between(c.minSpeakers, c.maxSpeakers));
      // Pick the dialogue's participants (distinct identities; "other" may be several extras).
      std::vector<double> w = castWeight;
      for (int k = 0; k < nSpeakers; ++k) {
        const int s = rng.categorical(w);
        who.push_back(s);
        extraOf.push_back(s == otherId ? rng.below(numExtras) : -1);
        if (s != otherId) w[s] = 0;  // a named speaker appears once per dialogue
      }
    }
    const int nSpeakers = static_cast<int>(who.size());
    std::map<int, int> partyOf;  // participant slot -> party (order of first appearance)
    int prevLabel = -1, prevSlot = -1;
    for (int t = 0; t < turns; ++t) {
      int slot = rng.below(nSpeakers);
      if (nSpeakers > 1 && slot == prevSlot && rng.uniform() < 0.7) slot = (slot + 1 + rng.below(nSpeakers - 1)) % nSpeakers;
      prevSlot = slot;
      if (!partyOf.count(slot)) { const int p = static_cast<int>(partyOf.size()); partyOf[slot] = p; }
      const Style& st = extraOf[slot] >= 0 ? extras[extraOf[slot]] : styles[who[slot]];
      const int label = (prevLabel >= 0 && rng.uniform() < c.contextCarry) ? prevLabel : rng.categorical(st.prior);
      prevLabel = label;

      Utterance u;
      u.speaker = who[slot];
      u.party = partyOf[slot];
      u.label = label;
      u.utteranceId = t;
      // IEMOCAP's classes borrow MELD's lines: happiness and excitement joy's, frustration anger's.
      static const int kIemocapLines[] = {4, 3, 0, 6, 4, 6};
      const auto& pool = lines().at(form.iemocap ? kIemocapLines[label] : label);
      u.transcript = pool[rng.below(static_cast<int>(pool.size()))];
      const double dur = 1.0 + 3.0 * rng.uniform();
      u.startSeconds = clock; u.endSeconds = clock + dur; clock += dur + 0.3;
      d.utterances.push_back(u);

      // Text: the true emotion, weakly.
      synthesize(textSpace, label, scratch.data(), noBaseline, 1.0);
      corpus.text.insert(corpus.text.end(), scratch.begin(), scratch.begin() + c.dimText);
      // Audio and visual: the true emotion with the speaker's reliability, else a distractor;
      // then the speaker's per-dimension scale and shift.
      auto shown = [&](double reliability) { return rng.uniform() < reliability ? label : rng.categorical(*form.priors); };
      const int la = shown(st.audioReliability);
      synthesize(audioSpace, la, scratch.data(), st.audioBaseline, st.audioGain);
      for (int i = 0; i < c.dimAudio; ++i) corpus.audio.push_back(st.audioScale[i] * scratch[i] + st.audioShift[i]);
      const int lv = shown(st.visualReliability);
      const bool faceMissing = rng.uniform() < c.faceMissing;
      if (truth) {
        truth->audioShows.push_back(static_cast<std::int8_t>(la));
        truth->visualShows.push_back(static_cast<std::int8_t>(faceMissing ? -1 : lv));
        truth->extraOf.push_back(extraOf[slot]);
      }
      if (faceMissing) {
        corpus.visual.insert(corpus.visual.end(), c.dimVisual, 0.0f);
      } else {
        synthesize(visualSpace, lv, scratch.data(), st.visualBaseline, st.visualGain);
        for (int i = 0; i < c.dimVisual; ++i) corpus.visual.push_back(st.visualScale[i] * scratch[i] + st.visualShift[i]);
      }
    }
    corpus.dialogues.push_back(std::move(d));
  }
  corpus.reindexRows();
  return corpus;
}

namespace {
std::map<std::string, double*> realKnobs(DemoConfig& c) {
  return {{"contextCarry", &c.contextCarry},       {"textSeparation", &c.textSeparation},
          {"audioSeparation", &c.audioSeparation}, {"visualSeparation", &c.visualSeparation},
          {"reliableProb", &c.reliableProb},       {"unreliableProb", &c.unreliableProb},
          {"balancedProb", &c.balancedProb},       {"styleScaleSigma", &c.styleScaleSigma},
          {"styleShift", &c.styleShift},           {"faceMissing", &c.faceMissing},
          {"ambientNoise", &c.ambientNoise},       {"dispositionSigma", &c.dispositionSigma},
          {"expressGainSigma", &c.expressGainSigma}, {"expressBaseline", &c.expressBaseline},
          {"restingExpression", &c.restingExpression}, {"devFraction", &c.devFraction},
          {"testFraction", &c.testFraction}};
}
std::map<std::string, int*> intKnobs(DemoConfig& c) {
  return {{"dialogues", &c.dialogues}, {"minTurns", &c.minTurns},       {"maxTurns", &c.maxTurns},
          {"minSpeakers", &c.minSpeakers}, {"maxSpeakers", &c.maxSpeakers}, {"latentDim", &c.latentDim},
          {"dimText", &c.dimText},     {"dimAudio", &c.dimAudio},       {"dimVisual", &c.dimVisual}};
}
}  // namespace

std::map<std::string, std::string> demoKnobs(const DemoConfig& config) {
  DemoConfig c = config;
  std::map<std::string, std::string> out;
  char buf[64];
  for (const auto& [name, p] : realKnobs(c)) {
    std::snprintf(buf, sizeof buf, "%.17g", *p);
    out[name] = buf;
  }
  for (const auto& [name, p] : intKnobs(c)) out[name] = std::to_string(*p);
  out["form"] = c.form;
  if (!c.family.empty()) out["family"] = c.family;
  out["seed"] = std::to_string(c.seed);
  return out;
}

DemoConfig demoConfigFromKnobs(const std::map<std::string, std::string>& knobs) {
  DemoConfig c;
  for (const auto& [name, value] : knobs) {
    if (name == "seed") {
      try {
        std::size_t used = 0;
        c.seed = std::stoull(value, &used);
        if (used != value.size()) throw std::invalid_argument("");
      } catch (const std::exception&) {
        throw std::invalid_argument("demo seed: bad value '" + value + "'");
      }
      continue;
    }
    setDemoKnob(c, name, value);
  }
  return c;
}

void setDemoKnob(DemoConfig& c, const std::string& name, const std::string& value) {
  if (name == "family") {
    const auto& f = demoFamilies();
    if (std::find(f.begin(), f.end(), value) == f.end())
      throw std::invalid_argument("demo knob family: bad value '" + value + "' (expected demo, demo-iemocap, demo-null or demo-fingerprint)");
    c.family = value;
    return;
  }
  if (name == "form") {
    if (value != "meld" && value != "iemocap") throw std::invalid_argument("demo knob form: bad value '" + value + "' (expected meld or iemocap)");
    c.form = value;
    return;
  }
  const std::map<std::string, double*> reals = realKnobs(c);
  const std::map<std::string, int*> ints = intKnobs(c);
  try {
    std::size_t used = 0;
    if (auto it = reals.find(name); it != reals.end()) {
      const double v = std::stod(value, &used);
      if (used != value.size() || !std::isfinite(v)) throw std::invalid_argument("");
      *it->second = v;
      return;
    }
    if (auto it = ints.find(name); it != ints.end()) {
      const int v = std::stoi(value, &used);
      if (used != value.size() || v < 1) throw std::invalid_argument("");
      *it->second = v;
      return;
    }
  } catch (const std::exception&) {
    throw std::invalid_argument("demo knob " + name + ": bad value '" + value + "'");
  }
  throw std::invalid_argument("unknown demo knob '" + name + "' (see data/DEMO_CORPUS.md)");
}

DemoConfig meldSizedConfig(std::uint64_t seed) {
  DemoConfig c;
  c.seed = seed;
  // 75% train: 1,152 train dialogues of mean length ~9.8 (about 11,000 utterances).
  c.dialogues = 1536;
  c.devFraction = 0.08;  // MELD's proportions: 75% train
  return c;
}

DemoConfig iemocapSizedConfig(std::uint64_t seed) {
  DemoConfig c;
  c.seed = seed;
  c.form = "iemocap";
  c.dialogues = 151;
  c.devFraction = 0;
  c.testFraction = 31.0 / 151.0;  // IEMOCAP: 120 training and 31 test dialogues
  c.minTurns = 24; c.maxTurns = 90;  // mean about 49 turns, as IEMOCAP's 7,433 / 151
  c.minSpeakers = 2; c.maxSpeakers = 2;
  c.styleScaleSigma = 0.6; c.styleShift = 1.0;
  return c;
}

// Frozen (DEMO_CORPUS.md, "The controls"): never changed because of a result.
DemoConfig demoNullConfig(std::uint64_t seed) {
  DemoConfig c;
  c.seed = seed;
  c.family = "demo-null";
  // The same reliability for every speaker and both modalities: the mean over the demo's three
  // types of each modality's reliability, (0.9 + 0.2 + 0.65) / 3, so that each modality says as
  // much about the emotion overall as in the demo.
  c.reliableProb = c.unreliableProb = c.balancedProb = 1.75 / 3.0;
  c.dispositionSigma = 0;
  c.expressGainSigma = 0;
  c.restingExpression = 0;
  c.expressBaseline = 0;
  c.styleScaleSigma = 0;
  c.styleShift = 0;
  return c;
}

DemoConfig demoFingerprintConfig(std::uint64_t seed) {
  DemoConfig c;
  c.seed = seed;
  c.family = "demo-fingerprint";
  c.styleScaleSigma = 0.6;
  c.styleShift = 1.0;
  return c;
}

const std::vector<std::string>& demoFamilies() {
  static const std::vector<std::string> names = {"demo", "demo-iemocap", "demo-null", "demo-fingerprint"};
  return names;
}

bool demoFamilyConfig(const std::string& name, DemoConfig& config) {
  if (name == "demo") config = DemoConfig{};
  else if (name == "demo-iemocap") config = iemocapSizedConfig();
  else if (name == "demo-null") config = demoNullConfig();
  else if (name == "demo-fingerprint") config = demoFingerprintConfig();
  else return false;
  return true;
}

std::string demoCorpusArgument(const std::string& corpusName) {
  const auto open = corpusName.find(" (seed ");
  if (open == std::string::npos || corpusName.empty() || corpusName.back() != ')') return "";
  const std::string family = corpusName.substr(0, open);
  DemoConfig c;
  if (!demoFamilyConfig(family, c)) return "";
  const std::string seed = corpusName.substr(open + 7, corpusName.size() - open - 8);
  if (seed.empty() || seed.find_first_not_of("0123456789") != std::string::npos) return "";
  return seed == std::to_string(c.seed) ? family : family + ":" + seed;
}

}  // namespace mlsan::data
