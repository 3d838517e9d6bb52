#!/usr/bin/python3
"""make-fixture.py -- write a tiny WordNet 3.0-format database for the tests.

    cd tests/data/wordnet && /usr/bin/python3 make-fixture.py

Writes data.{noun,verb,adj,adv}, index.{noun,verb,adj,adv}, {noun,verb,adj,adv}.exc
and cntlist.rev in this directory, in the formats of wndb(5WN) and senseidx(5WN):
synset lines start with their own byte offset, pointers name the target's
offset, index lines list a lemma's synsets most frequent first. Offsets are
computed here (all offsets are 8 digits wide, so line lengths do not depend
on them), which is what a hand-written fixture gets wrong.

The synsets are our own small world (people, animals, vehicles, food, a few
verbs and adjectives with antonyms), enough for the unit and CLI tests to
exercise lemmas, collocations, morphology, senses, hypernym paths, antonyms,
similar-to clusters and glosses with examples. Deterministic output.
"""
import os

LEX = {  # lexicographer file numbers (lexnames(5WN))
    "adj.all": 0, "adv.all": 2, "noun.Tops": 3, "noun.act": 4, "noun.animal": 5,
    "noun.artifact": 6, "noun.attribute": 7, "noun.food": 13, "noun.group": 14,
    "noun.location": 15, "noun.object": 17, "noun.person": 18, "noun.quantity": 23,
    "noun.substance": 27, "noun.time": 28, "verb.body": 29, "verb.communication": 32,
    "verb.competition": 33, "verb.consumption": 34, "verb.contact": 35,
    "verb.motion": 38, "verb.perception": 39, "verb.possession": 40, "verb.stative": 42,
}

# (key, lexfile, words, [(symbol, target key, src word, dst word)], gloss)
# Hyponym (~, ~i) and similar-to back-pointers are added automatically;
# antonyms are listed on both sides.
NOUNS = [
    ("entity", "noun.Tops", ["entity"], [], "that which is perceived to have its own distinct existence"),
    ("physical", "noun.Tops", ["physical_entity"], [("@", "entity")], "an entity that has physical existence"),
    ("abstraction", "noun.Tops", ["abstraction"], [("@", "entity")], "a general concept"),
    ("object", "noun.Tops", ["object", "physical_object"], [("@", "physical")], "a tangible and visible entity"),
    ("whole", "noun.Tops", ["whole"], [("@", "object")], "an assemblage of parts regarded as a single entity"),
    ("living", "noun.Tops", ["living_thing"], [("@", "whole")], "a living entity"),
    ("organism", "noun.Tops", ["organism", "being"], [("@", "living")], "a living thing that can act or function independently"),
    ("animal", "noun.animal", ["animal", "beast"], [("@", "organism")], 'a living organism that moves voluntarily; "animals need food"'),
    ("carnivore", "noun.animal", ["carnivore"], [("@", "animal")], "a flesh-eating animal"),
    ("canine", "noun.animal", ["canine"], [("@", "carnivore")], "a dog or a wolf"),
    ("dog", "noun.animal", ["dog", "domestic_dog"], [("@", "canine")], 'a member of the genus Canis; "the dog barked all night"'),
    ("puppy", "noun.animal", ["puppy"], [("@", "dog")], "a young dog"),
    ("wolf", "noun.animal", ["wolf"], [("@", "canine")], "a wild canine"),
    ("feline", "noun.animal", ["feline", "felid"], [("@", "carnivore")], "a cat of any kind"),
    ("cat", "noun.animal", ["cat", "true_cat"], [("@", "feline")], 'a small feline; "the cat sat on the mat"'),
    ("horse", "noun.animal", ["horse"], [("@", "animal")], 'a hoofed animal; "two horses were grazing in the field"'),
    ("goose", "noun.animal", ["goose"], [("@", "animal")], "a web-footed bird"),
    ("person", "noun.person", ["person", "individual", "someone"], [("@", "organism")], "a human being"),
    ("man", "noun.person", ["man", "adult_male"], [("@", "person"), ("!", "woman", 1, 1)], 'an adult male person; "a man on skis is racing down the hill"'),
    ("woman", "noun.person", ["woman", "adult_female"], [("@", "person"), ("!", "man", 1, 1)], "an adult female person"),
    ("child", "noun.person", ["child", "kid"], [("@", "person")], 'a young person; "the children were playing in the park"'),
    ("skier", "noun.person", ["skier"], [("@", "person")], "someone who skis"),
    ("einstein", "noun.person", ["Einstein", "Albert_Einstein"], [("@i", "person")], "physicist born in Germany"),
    ("artifact", "noun.artifact", ["artifact", "artefact"], [("@", "whole")], "a man-made object"),
    ("vehicle", "noun.artifact", ["vehicle"], [("@", "artifact")], "a conveyance that transports people or objects"),
    ("car", "noun.artifact", ["car", "auto", "automobile", "motorcar"], [("@", "vehicle")], 'a motor vehicle with four wheels; "he needs a car to get to work"'),
    ("bicycle", "noun.artifact", ["bicycle", "bike"], [("@", "vehicle")], "a wheeled vehicle with pedals"),
    ("truck", "noun.artifact", ["truck", "motortruck"], [("@", "vehicle")], "an automotive vehicle for hauling goods"),
    ("ski", "noun.artifact", ["ski"], [("@", "artifact")], "narrow wood or metal runner"),
    ("matter", "noun.Tops", ["matter"], [("@", "physical")], "that which has mass"),
    ("food", "noun.food", ["food", "nutrient"], [("@", "matter")], "a substance that can be eaten"),
    ("dessert", "noun.food", ["dessert", "sweet"], [("@", "food")], "a dish served as the last course of a meal"),
    ("icecream", "noun.food", ["ice_cream", "icecream"], [("@", "dessert")], 'frozen dessert; "they ate ice cream"'),
    ("cake", "noun.food", ["cake"], [("@", "dessert")], "baked goods"),
    ("fruit", "noun.food", ["edible_fruit"], [("@", "food")], "edible reproductive body of a plant"),
    ("apple", "noun.food", ["apple"], [("@", "fruit")], 'fruit with red or yellow or green skin; "she bought 3 apples"'),
    ("pear", "noun.food", ["pear"], [("@", "fruit")], "sweet juicy fruit"),
    ("water", "noun.substance", ["water", "H2O"], [("@", "matter")], "binary compound that occurs at room temperature as a clear liquid"),
    ("location", "noun.location", ["location"], [("@", "physical")], "a point or extent in space"),
    ("park", "noun.location", ["park", "parkland"], [("@", "location")], "a large area of land preserved in its natural state"),
    ("city", "noun.location", ["city", "metropolis"], [("@", "location")], "a large and densely populated urban area"),
    ("hill", "noun.object", ["hill"], [("@", "object")], "a local and well-defined elevation of the land"),
    ("beach", "noun.object", ["beach"], [("@", "object")], "an area of sand sloping down to the water"),
    ("time", "noun.time", ["time_period", "period"], [("@", "abstraction")], "an amount of time"),
    ("day", "noun.time", ["day", "twenty-four_hours"], [("@", "time")], "time for the earth to make a complete rotation"),
    ("year", "noun.time", ["year", "twelvemonth"], [("@", "time")], "a period of time containing 365 days"),
    ("race", "noun.act", ["race"], [("@", "abstraction")], "a contest of speed"),
    # a word of two senses, each with its example (kgsynth's sense kinds)
    ("bank", "noun.group", ["bank", "depository"], [], 'a financial institution that accepts deposits (and lends); "he cashed a check at the bank"'),
    ("riverbank", "noun.object", ["bank", "riverside"], [], 'sloping land beside a body of water; "they pulled the canoe up on the bank"'),
]

VERBS = [
    ("travel", "verb.motion", ["travel", "go", "move"], [], 'change location; "how fast does your new car go?"'),
    ("ride", "verb.motion", ["ride"], [("@", "travel")], 'be carried or travel on a vehicle; "she rides the bus to work"'),
    ("run", "verb.motion", ["run"], [("@", "travel")], 'move fast by using one\'s feet; "the children ran to the store"'),
    ("race", "verb.motion", ["race", "run_fast"], [("@", "run")], "move fast"),
    ("walk", "verb.motion", ["walk"], [("@", "travel")], "use one's feet to advance"),
    ("rise", "verb.motion", ["rise", "go_up", "climb"], [("@", "travel"), ("!", "fall", 1, 1)], 'move upward; "prices rose 15% in 1999"'),
    ("fall", "verb.motion", ["fall", "descend"], [("@", "travel"), ("!", "rise", 1, 1)], "move downward"),
    ("consume", "verb.consumption", ["consume", "ingest", "take_in"], [], "serve oneself to, or consume regularly"),
    ("eat", "verb.consumption", ["eat"], [("@", "consume")], 'take in solid food; "they didn\'t eat the cake"'),
    ("drink", "verb.consumption", ["drink", "imbibe"], [("@", "consume")], "take in liquids"),
    ("be", "verb.stative", ["be"], [], "have the quality of being"),
    ("have", "verb.possession", ["have", "own", "possess"], [], "have ownership or possession of"),
    ("buy", "verb.possession", ["buy", "purchase"], [("!", "sell", 1, 1)], "obtain by purchase"),
    ("sell", "verb.possession", ["sell"], [("!", "buy", 1, 1)], "exchange or deliver for money"),
    ("play", "verb.competition", ["play"], [], 'participate in games or sport; "two dogs are playing in the park"'),
    ("bark", "verb.communication", ["bark"], [], "make barking sounds"),
    ("sit", "verb.contact", ["sit", "sit_down"], [], "be seated"),
    ("see", "verb.perception", ["see"], [], "perceive by sight"),
    ("take_off", "verb.motion", ["take_off"], [("@", "rise")], "depart from the ground"),
]

ADJS = [  # (key, words, pointers, gloss, satellite-of key or None)
    ("happy", ["happy"], [("!", "unhappy", 1, 1)], 'enjoying well-being and contentment; "a happy child"', None),
    ("glad", ["glad"], [], "showing or causing joy", "happy"),
    ("cheerful", ["cheerful", "pleasant"], [], "being full of or promoting cheer", "happy"),
    ("unhappy", ["unhappy"], [("!", "happy", 1, 1)], "experiencing or marked by unhappiness", None),
    ("sad", ["sad"], [], "experiencing sorrow", "unhappy"),
    ("hot", ["hot"], [("!", "cold", 1, 1)], "used of physical heat", None),
    ("cold", ["cold"], [("!", "hot", 1, 1)], 'used of physical coldness; "cold water"', None),
    ("icy", ["icy", "frigid"], [], "very cold", "cold"),
    ("large", ["large", "big"], [("!", "small", 1, 1)], 'above average in size; "a big car"', None),
    ("small", ["small", "little"], [("!", "large", 1, 1)], "limited in size", None),
    ("fast", ["fast"], [("!", "slow", 1, 1)], "acting or moving quickly", None),
    ("slow", ["slow"], [("!", "fast", 1, 1)], "not moving quickly", None),
    ("good", ["good"], [("!", "bad", 1, 1)], "having desirable qualities", None),
    ("bad", ["bad"], [("!", "good", 1, 1)], "having undesirable qualities", None),
    ("blue", ["blue"], [], 'of the color of the sky; "the sky is very blue today"', None),
]

ADVS = [
    ("quickly", ["quickly", "rapidly"], [("!", "slowly", 1, 1)], "with rapid movements"),
    ("slowly", ["slowly"], [("!", "quickly", 1, 1)], "without speed"),
    ("sadly", ["sadly"], [("!", "happily", 1, 1)], 'in an unhappy manner; "she sighed sadly"'),
    ("happily", ["happily", "merrily"], [("!", "sadly", 1, 1)], "in a joyous manner"),
]

EXC = {
    "noun": [("men", "man"), ("women", "woman"), ("children", "child"), ("geese", "goose"),
             ("mice", "mouse"), ("feet", "foot"), ("wolves", "wolf")],
    "verb": [("am", "be"), ("are", "be"), ("ate", "eat"), ("been", "be"), ("bought", "buy"),
             ("drank", "drink"), ("drunk", "drink"), ("eaten", "eat"), ("fallen", "fall"),
             ("fell", "fall"), ("gone", "go"), ("had", "have"), ("has", "have"), ("is", "be"),
             ("ran", "run"), ("ridden", "ride"), ("risen", "rise"), ("rode", "ride"),
             ("rose", "rise"), ("running", "run"), ("sat", "sit"), ("saw", "see"),
             ("seen", "see"), ("sitting", "sit"), ("sold", "sell"), ("taken", "take"), ("taken_off", "take_off"),
             ("took", "take"), ("took_off", "take_off"), ("was", "be"), ("went", "go"),
             ("were", "be")],
    "adj": [("best", "good"), ("better", "good"), ("bigger", "big"), ("biggest", "big"),
            ("happier", "happy"), ("worse", "bad"), ("worst", "bad")],
    "adv": [("better", "well")],
}

# Sense tag counts (cntlist.rev): lemma -> count per part of speech (1 n, 2 v, 3 a, 4 r).
COUNTS = {
    1: {"man": 80, "woman": 60, "child": 50, "kid": 5, "person": 70, "individual": 8, "dog": 40,
        "cat": 20, "horse": 15, "puppy": 3, "wolf": 4, "animal": 30, "car": 45, "auto": 3,
        "automobile": 9, "bicycle": 8, "bike": 4, "truck": 10, "vehicle": 12, "ski": 2,
        "food": 30, "apple": 6, "pear": 3, "cake": 5, "dessert": 4, "ice cream": 3, "water": 60,
        "park": 12, "city": 40, "metropolis": 2, "hill": 15, "beach": 8, "day": 90, "year": 95,
        "location": 10, "skier": 2, "bank": 20, "depository": 3, "goose": 2, "race": 6, "time period": 5, "period": 20},
    2: {"travel": 20, "go": 200, "move": 60, "ride": 15, "run": 50, "race": 5, "walk": 30,
        "rise": 25, "go up": 3, "climb": 8, "fall": 30, "descend": 4, "eat": 40, "drink": 15,
        "consume": 8, "be": 900, "have": 500, "own": 10, "buy": 30, "purchase": 5, "sell": 25,
        "play": 40, "bark": 3, "sit": 30, "see": 300, "take off": 5},
    3: {"happy": 30, "glad": 10, "cheerful": 4, "unhappy": 8, "sad": 9, "hot": 25, "cold": 30,
        "icy": 2, "large": 60, "big": 50, "small": 70, "little": 60, "fast": 15, "slow": 12,
        "good": 150, "bad": 60, "blue": 10},
    4: {"quickly": 20, "rapidly": 8, "slowly": 15, "sadly": 3, "happily": 4},
}

HEADER = ("  1 gcse test fixture in the format of WordNet 3.0 database files.\n"
          "  2 Generated by tests/data/wordnet/make-fixture.py; do not edit.\n")

POS_CHAR = {"noun": "n", "verb": "v", "adj": "a", "adv": "r"}
SS_TYPE = {"n": 1, "v": 2, "a": 3, "r": 4, "s": 5}


def build():
    # synsets: dict key -> record; keys are (pos, key)
    syn = {}
    order = {"noun": [], "verb": [], "adj": [], "adv": []}

    def add(pos, key, lexname, words, ptrs, gloss, ss_type, sat_of=None):
        syn[(pos, key)] = dict(pos=pos, key=key, lex=LEX[lexname], words=words,
                               ptrs=[list(p) for p in ptrs], gloss=gloss, ss=ss_type, sat_of=sat_of)
        order[pos].append(key)

    for k, lx, w, p, g in NOUNS:
        add("noun", k, lx, w, p, g, "n")
    for k, lx, w, p, g in VERBS:
        add("verb", k, lx, w, p, g, "v")
    for k, w, p, g, sat in ADJS:
        add("adj", k, "adj.all", w, p, g, "s" if sat else "a", sat)
    for k, w, p, g in ADVS:
        add("adv", k, "adv.all", w, p, g, "r")
    # back-pointers
    for (pos, key), s in list(syn.items()):
        for p in list(s["ptrs"]):
            if p[0] in ("@", "@i"):
                syn[(pos, p[1])]["ptrs"].append(["~" if p[0] == "@" else "~i", key])
        if s["sat_of"]:
            s["ptrs"].insert(0, ["&", s["sat_of"]])
            syn[(pos, s["sat_of"])]["ptrs"].append(["&", key])
    return syn, order


def ptr_text(syn, pos, p, offsets):
    sym, tgt = p[0], p[1]
    src, dst = (p[2], p[3]) if len(p) > 2 else (0, 0)
    tpos = pos
    t = syn[(tpos, tgt)]
    pc = "s" if t["ss"] == "s" else POS_CHAR[tpos]
    if pc == "s":
        pc = "a"   # pointers name adjectives as 'a' (wndb(5WN))
    return "%s %08d %s %02x%02x" % (sym, offsets.get((tpos, tgt), 0), pc, src, dst)


def line_of(syn, pos, key, offsets, off):
    s = syn[(pos, key)]
    words = " ".join("%s %x" % (w, 0) for w in s["words"])
    ptrs = " ".join(ptr_text(syn, pos, p, offsets) for p in s["ptrs"])
    parts = ["%08d" % off, "%02d" % s["lex"], s["ss"], "%02x" % len(s["words"]), words,
             "%03d" % len(s["ptrs"])]
    if ptrs:
        parts.append(ptrs)
    if pos == "verb":
        parts.append("01 + 02 00")
    return " ".join(parts) + " | " + s["gloss"] + "  \n"


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    syn, order = build()
    offsets = {}
    # pass 1: offsets (line lengths do not depend on offset values)
    for pos in order:
        off = len(HEADER.encode())
        for key in order[pos]:
            offsets[(pos, key)] = off
            off += len(line_of(syn, pos, key, offsets, off).encode())
    # pass 2: data files
    for pos in order:
        with open(os.path.join(here, "data." + pos), "w", newline="\n") as f:
            f.write(HEADER)
            for key in order[pos]:
                f.write(line_of(syn, pos, key, offsets, offsets[(pos, key)]))
    # index files: lemma -> synsets in spec order (first listed = most frequent)
    for pos in order:
        lem = {}
        for key in order[pos]:
            for w in syn[(pos, key)]["words"]:
                lem.setdefault(w.lower(), []).append(key)
        with open(os.path.join(here, "index." + pos), "w", newline="\n") as f:
            f.write(HEADER)
            for l in sorted(lem):
                keys = lem[l]
                syms = []
                for k in keys:
                    for p in syn[(pos, k)]["ptrs"]:
                        if p[0] not in syms:
                            syms.append(p[0])
                cnt = COUNTS[{"noun": 1, "verb": 2, "adj": 3, "adv": 4}[pos]].get(l.replace("_", " "), 0)
                f.write("%s %s %d %d %s%d %d %s  \n" % (
                    l, POS_CHAR[pos], len(keys), len(syms), "".join(s + " " for s in syms),
                    len(keys), 1 if cnt else 0, " ".join("%08d" % offsets[(pos, k)] for k in keys)))
    for pos, pairs in EXC.items():
        with open(os.path.join(here, pos + ".exc"), "w", newline="\n") as f:
            for a, b in sorted(pairs):
                f.write("%s %s\n" % (a, b))
    with open(os.path.join(here, "cntlist.rev"), "w", newline="\n") as f:
        for t in sorted(COUNTS):
            for l in sorted(COUNTS[t]):
                f.write("%s%%%d:00:00:: 1 %d\n" % (l.replace(" ", "_"), t, COUNTS[t][l]))


if __name__ == "__main__":
    main()
