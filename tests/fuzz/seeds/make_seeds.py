#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Writes the hand-made seeds of the fuzz targets (tests/fuzz/seeds/pickle/dialoguernn_*.pkl and
tests/fuzz/seeds/csv/*.csv). Plain python3, no numpy. The other pickle seeds are copies of
tests/fixtures/pickle/*.pkl (values_p*.pkl, py2_style.pkl, multiemo_<folder>_<file>.pkl).

    /usr/bin/python3 tests/fuzz/seeds/make_seeds.py

Everything here is synthetic: no text of MELD, IEMOCAP or COSMIC is copied. The real files are
added as extra seed directories at run time by tests/fuzz/run_fuzz.sh (tests/data).
"""
import os
import pickle

HERE = os.path.dirname(os.path.abspath(__file__))
PKL = os.path.join(HERE, "pickle")
CSV = os.path.join(HERE, "csv")


def onehot(i):
    v = [0] * 9
    v[i] = 1
    return v


def dialoguernn_meld():
    """COSMIC's meld.pkl layout: speakers, labels, labels2, sentences, train, test, valid."""
    keys = [0, 1, 1039, 1153]
    speakers = {0: [onehot(0), onehot(1), onehot(0)], 1: [onehot(0)], 1039: [onehot(1), onehot(0)], 1153: [onehot(2)]}
    labels = {0: [0, 4, 6], 1: [3], 1039: [1, 2], 1153: [5]}
    labels2 = {k: [0] * len(v) for k, v in labels.items()}
    sentences = {0: ["Hi there.", "It\u0092s fine, really.", "No!"], 1: ["Well\u0085"],
                 1039: ["What?", "Oh, \u0093great\u0094."], 1153: ["Ew."]}
    return [speakers, labels, labels2, sentences, [0, 1], [1153], [1039]]


def dialoguernn_iemocap():
    """COSMIC's iemocap.pkl layout: speakers ('M'/'F'), labels, sentences, train, test, dev."""
    speakers = {"Ses01F_impro01": ["F", "M", "F"], "Ses02M_script01_1": ["M"], "Ses05F_impro03": ["F", "M"]}
    labels = {"Ses01F_impro01": [2, 3, 5], "Ses02M_script01_1": [0], "Ses05F_impro03": [4, 1]}
    sentences = {k: ["utterance %d" % i for i in range(len(v))] for k, v in speakers.items()}
    return [speakers, labels, sentences, ["Ses01F_impro01"], ["Ses05F_impro03"], ["Ses02M_script01_1"]]


HEADER = "Sr No.,Utterance,Speaker,Emotion,Sentiment,Dialogue_ID,Utterance_ID,Season,Episode,StartTime,EndTime"


def rows(lines, eol):
    return (eol.join(lines) + eol)


CSVS = {
    # The current release: UTF-8, CRLF, quoted commas, 00: and 0: hours, a 2-digit fraction.
    "current_crlf.csv": (rows([
        HEADER,
        '1,"Oh, well, it\u2019s lost.",Phoebe,sadness,negative,0,0,4,7,"00:20:57,256","00:21:00,049"',
        '2,What?,Monica,surprise,negative,0,1,4,7,"0:21:01,927","0:21:03,261"',
        '3,"He said ""no"", then left.",Joey/Drake,neutral,neutral,0,3,4,7,"00:06:47,28","00:06:49,5"',
        '4,"Two\nlines",Joey and Chandler,joy,positive,1,0,2,3,"00:00:00,000","00:00:00,000"',
        '5,Fine.,Richard\u2019s Date,anger,negative,1,1,2,3,"00:10:00,100","00:15:04,999"',
    ], "\r\n")).encode("utf-8"),
    # The pre-2020 release: cp1252 bytes stored as UTF-8 C1 controls, LF, a no-break space.
    "pre2020_c1.csv": (rows([
        HEADER,
        '1,"It\u0092s\u00a0a\u0085 \u0093test\u0094 \u0097 ok, \u0091fine\u0092",Rachel,disgust,negative,2,0,1,1,"00:01:02,003","00:01:04,5"',
        '2,Undefined \u0081\u008d\u008f\u0090\u009d bytes,Ross ,fear,negative,2,1,1,1,"0:01:05,000","0:01:06,000"',
    ], "\n")).encode("utf-8"),
    # Raw cp1252 bytes (not UTF-8), a BOM, CR-only ends, blank lines, missing optional columns.
    "raw_cp1252.csv": b"\xef\xbb\xbfUtterance,Speaker,Emotion,Dialogue_ID,Utterance_ID\r"
                      b"\"It\x92s \x93raw\x94\",Chandler,joy,3,0\r\r"
                      b"caf\xe9 \x85,  Monica   Geller ,Neutral,3,2\r",
    # Non-fatal problems: bad timestamps, header-only follows in another file.
    "bad_times.csv": (rows([
        HEADER,
        '1,x,Joey,neutral,neutral,4,0,1,1,"00:99:00,000","garbage"',
        '2,y,Joey,neutral,neutral,4,1,1,1,"1:00:00.5","00:00:01,"',
        '3,z,Joey,neutral,neutral,4,2,,,,',
    ], "\r\n")).encode("utf-8"),
    "header_only.csv": (HEADER + "\r\n").encode("utf-8"),
    # Fatal: unterminated quote, wrong field count, unknown emotion.
    "unterminated.csv": (rows([HEADER, '1,"never closed,Joey,joy,positive,5,0,1,1,"00:00:01,000","00:00:02,000"'], "\n")).encode("utf-8"),
    "field_count.csv": (rows([HEADER, '1,a,Joey,joy,positive,5,0,1,1,"00:00:01,000"'], "\n")).encode("utf-8"),
    "unknown_emotion.csv": (rows([HEADER, '1,a,Joey,happy,positive,5,0,1,1,"00:00:01,000","00:00:02,000"'], "\n")).encode("utf-8"),
}


def main():
    os.makedirs(PKL, exist_ok=True)
    os.makedirs(CSV, exist_ok=True)
    for proto in (2, 4):
        with open(os.path.join(PKL, "dialoguernn_meld_p%d.pkl" % proto), "wb") as f:
            pickle.dump(dialoguernn_meld(), f, protocol=proto)
    with open(os.path.join(PKL, "dialoguernn_iemocap_p4.pkl"), "wb") as f:
        pickle.dump(dialoguernn_iemocap(), f, protocol=4)
    with open(os.path.join(PKL, "dialoguernn_meld_p0.pkl"), "wb") as f:
        pickle.dump(dialoguernn_meld(), f, protocol=0)
    for name, data in CSVS.items():
        with open(os.path.join(CSV, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
