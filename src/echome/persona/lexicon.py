"""Built-in English word and phrase lists for the persona analyser.

Hand-written and deliberately small. Phrases are written in the analyser's normalised form: lower case,
straight apostrophes, single spaces, no punctuation. `COMMON_WORDS` approximates the ~1,500 most frequent
English words (base forms; the analyser strips simple inflections before looking a word up), so a word
outside it is "uncommon" only in that rough sense. The selling phrases (benefits, features, urgency, calls
to action, greetings, sign-offs) are in `selling_lexicon.py`.
"""

from __future__ import annotations


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Function words: pronouns, articles, determiners, prepositions, conjunctions, auxiliaries, particles.
STOPWORDS = _words(
    """
    a an the this that these those some any each every either neither no all both few many much more most
    other another such what which who whom whose where when why how whatever whoever whichever
    i me my mine myself we us our ours ourselves you your yours yourself yourselves he him his himself
    she her hers herself it its itself they them their theirs themselves one ones
    i'm i've i'll i'd we're we've we'll we'd you're you've you'll you'd he's he'll he'd she's she'll she'd
    it's it'll it'd they're they've they'll they'd that's there's here's what's who's where's how's let's
    am is are was were be been being have has had having do does did doing done
    will would shall should can could may might must ought
    isn't aren't wasn't weren't hasn't haven't hadn't don't doesn't didn't won't wouldn't shan't shouldn't
    can't cannot couldn't mustn't mightn't needn't ain't
    and or but nor so yet for if then than because as while although though unless until since whether
    of in on at to from by with without about above below over under into onto upon out off up down
    through throughout during before after between among against around across along toward towards
    behind beyond near within via per like unlike despite except beside besides
    not very too also just only even still again ever never always often there here now
    """
)

# Roughly the most frequent English words beyond the function words above (general text and speech).
COMMON_WORDS = STOPWORDS | _words(
    """
    say said says get got gets make made makes go went goes gone going know knew known think thought
    take took taken see saw seen come came comes want wanted look looked use used find found give gave
    given tell told work worked call called try tried ask asked need needed feel felt become became leave
    left put mean meant keep kept begin began seem seemed help helped talk talked turn turned start started
    show showed shown hear heard play played run ran move moved live lived believe believed hold held
    bring brought happen happened write wrote written provide sit sat stand stood lose lost pay paid meet
    met include included continue set learn learned change changed lead led understand understood watch
    watched follow followed stop stopped create created speak spoke read allow allowed add added spend
    spent grow grew grown open opened walk walked win won offer offered remember remembered love loved
    consider appear appeared buy bought wait waited serve die died send sent expect build built stay
    stayed fall fell cut reach kill remain suggest raise pass sell sold require report decide decided
    pull pulled return explain hope hoped develop carry break broke receive agree support hit produce eat
    ate cover catch caught draw drew choose chose cause point listen wish close closed sleep slept drive
    drove fly flew fill finish fit fix join laugh like liked mind miss missed pick plan pour prepare
    press promise protect prove push rain rest ride ring rise save share shake shoot shout sign sing sink
    smile sound spread steal stick study suppose surprise teach throw touch train travel treat trust visit
    wake wear wore worry wrote answer apply argue arrive avoid bear beat belong blow borrow burn care
    check clean climb collect compare complain count cry dance deal depend describe design destroy
    discover discuss dream dress drink drop earn enjoy enter escape exist fail fight forget forgave forgot
    gather guess hang hate hide hurry imagine improve increase introduce invite jump kick kiss knock lay
    lend lie lift marry matter measure mention notice order own pack paint perform pray prefer pretend
    print publish realize realise recognize reduce refuse relax repeat replace reply rent rush search
    seek select settle shop shut sing smell solve sort steal suffer supply switch taste tear test thank
    tie vote wash waste win wonder
    time year people way day man men woman women child children thing things world life hand part place
    case week company system program question government number night point home water room mother
    father area money story fact month lot right study book eye eyes job word words business issue side
    kind head house service friend friends power hour hours game line end member law car city community
    name president team minute minutes idea kid kids body information back parent face others level
    office door health person art war history party result morning reason research girl guy guys moment
    air teacher force education foot feet boy age policy music market sense nation plan college interest
    death experience effect class control field development role effort rate heart drug show leader light
    voice wife police mind price report decision son view relationship town road arm difference value
    building action model season society tax director position player record paper space ground form
    event matter center couple site project activity star table need court oil situation cost industry
    figure street image phone data picture practice piece land product doctor wall patient worker news
    test movie north love support technology step baby computer type attention film tree source
    organization hair window evidence population site bed dog cat food sun land floor letter table
    street stuff color colour size shape style box bag shirt shoes clothes phone video camera store shop
    brand quality design material skin hair fun deal gift present photo list page item items sale
    half top bottom front inside outside middle corner edge surface detail details key choice option
    truth peace trouble chance risk problem problems answer answers way ways fire river sea sky island
    hill garden farm village country state states region street train plane ship boat horse bird fish
    meat bread milk coffee tea dinner lunch breakfast meal kitchen bathroom bedroom chair desk glass cup
    plate bottle bank hospital school church library shop hotel restaurant bar club club office
    morning evening afternoon today tomorrow yesterday tonight weekend summer winter spring autumn fall
    monday tuesday wednesday thursday friday saturday sunday january february march april june july
    august september october november december
    good new first last long great little own old big high different small large next early young
    important few public bad same able late hard major better best free sure clear whole real full
    special easy strong certain personal open red black white blue green yellow brown pink purple orange
    grey gray dark bright cold hot warm cool wrong true false simple possible happy sad nice fine poor
    rich cheap expensive beautiful pretty lovely perfect short tall low deep wide heavy light quick
    fast slow safe dead alive ready busy quiet loud soft clean dirty fresh dry wet empty fair huge
    tiny main single various common similar recent final local national natural human social political
    economic serious medical military legal physical general particular available likely current
    difficult popular basic entire useful amazing wonderful awesome excellent favorite favourite
    interesting important incredible comfortable welcome
    well really actually probably maybe perhaps already almost enough quite rather especially finally
    usually sometimes together later soon away ago instead anyway yes no yeah okay ok please thanks
    thank hello hi hey bye oh wow
    one two three four five six seven eight nine ten eleven twelve twenty thirty forty fifty hundred
    thousand million billion second third fourth fifth once twice
    everything something anything nothing everyone someone anyone everybody somebody anybody nobody
    everywhere somewhere anywhere nowhere mr mrs ms sir madam
    age ago add air ball bill bit blood board boat born box brother sister husband daughter family
    friend future girl glad god group growth guess health hell hope husband king queen lady lord
    mister miss mum mom dad uncle aunt cousin neighbor neighbour
    """
)

# Inflection suffixes stripped (longest first) when a word is looked up in COMMON_WORDS.
SUFFIXES = ("ingly", "ness", "ment", "ings", "ing", "ied", "ies", "ers", "est", "ed", "es", "er", "ly", "s")

# Informal or slang markers (single tokens).
SLANG = _words(
    """
    gonna wanna gotta kinda sorta lemme gimme dunno ya y'all yall ain't cuz 'cause yep yup nope nah
    yeah guys dude dudes bro lol omg legit vibe vibes vibey obsessed insane crazy awesome cool super
    totally literally stuff freaking frickin damn hella lit fire dope sick comfy cute cutie bestie
    babe girlies okay ok alright hey wow whoa ooh yay huge mega epic bomb chill
    """
)

# Contractions of a pronoun or function word with "'s" (unlike possessives such as "John's").
S_CONTRACTIONS = _words(
    "it's that's there's here's what's who's where's how's let's he's she's everyone's everything's"
)

# Always-filler tokens (whisper often drops these; counted when present), mapped to a canonical spelling.
HESITATIONS = {
    "um": "um",
    "umm": "um",
    "ummm": "um",
    "uhm": "um",
    "uh": "uh",
    "uhh": "uh",
    "er": "er",
    "erm": "er",
    "hmm": "hmm",
    "hm": "hmm",
    "mm": "hmm",
    "mmm": "hmm",
}

# A listener's hyphenated backchannels: one token each (trait_evidence.TOKEN_RE), never a filler or
# part of a catchphrase (they answer someone else rather than show how the seller talks).
BACKCHANNELS = frozenset({"mm-hmm", "uh-huh", "uh-uh", "mm-mm"})

# Adverbs counted as fillers wherever they occur (in speech they are mostly verbal tics).
ALWAYS_FILLER_ADVERBS = _words("basically literally")

# Adverbs and markers counted as fillers only at the start of a sentence or set off by commas.
DISCOURSE_FILLERS = _words("actually honestly seriously obviously anyway well okay ok alright right")

# After sentence-initial "so", these next words mark the discourse use ("So, ...", "So this one...").
SO_DISCOURSE_NEXT = _words(
    """
    i i'm i've i'll you you're you'll we we're we'll they it it's this that that's these those there
    there's here here's let's now today anyway yeah okay ok um uh basically if what when the a my your
    our first next guys what's how
    """
)

# After sentence-initial "like", these next words mark the filler use ("Like, it's so soft").
LIKE_FILLER_NEXT = _words(
    """
    it's i'm you're we're they're that's there's literally honestly seriously so really just um uh super
    totally basically oh wow yeah okay
    """
)

# Words before "kind of"/"sort of" that make it a noun phrase ("what kind of"), not a hedge.
KIND_OF_NOUN_CONTEXT = _words("what this that a any some the every which same one each no another")

# Words before "you know" that make it a real clause ("do you know", "as you know").
YOU_KNOW_CLAUSE_CONTEXT = _words("do did don't didn't if as would could will so whether now")

# Words before "like," that make it a verb ("I'd like,", "it looks like,").
LIKE_VERB_CONTEXT = _words(
    "i you we they would i'd you'd we'd they'd feel feels felt look looks looked sound sounds seem seems"
)

# Sentence openers that mark a question when the text carries no punctuation.
QUESTION_OPENERS = (
    "do you",
    "did you",
    "does it",
    "does this",
    "have you",
    "has anyone",
    "are you",
    "were you",
    "can you",
    "could you",
    "would you",
    "will you",
    "should you",
    "is it",
    "is this",
    "is that",
    "isn't it",
    "what do",
    "what does",
    "what is",
    "what's",
    "what are",
    "what would",
    "what if",
    "how do",
    "how does",
    "how many",
    "how much",
    "how would",
    "how about",
    "why do",
    "why does",
    "why not",
    "why would",
    "where do",
    "where can",
    "which one",
    "who else",
    "who wants",
    "ever wonder",
    "ever wondered",
)

# Question endings that address the listener even without "you" ("right?", "isn't it?").
TAG_QUESTION_ENDINGS = (
    "right",
    "isn't it",
    "don't you think",
    "aren't they",
    "doesn't it",
    "no",
    "yeah",
    "huh",
)

# Very common English multi-word expressions, not distinctive for any speaker.
COMMON_PHRASES = frozenset(
    """
    a lot|a lot of|lot of|a little|a little bit|little bit|a bit|of course|at least|at all|as well|
    right now|so much|very much|thank you|thank you so much|thanks so much|i think|i don't know|
    i don't think|i mean|you know|i guess|kind of|sort of|you can|you can see|i want|i want to|
    going to|want to|have to|got to|need to|able to|used to|each other|one of|one of the|
    this is|that is|it is|there is|there are|i have|i was|it was|in the|on the|of the|
    to be|to do|to get|to go|to make|to see|to the|do it|did it|get it|got it|make sure|last year|
    next year|this year|every day|all the time|at the same time|in fact|for example|such as|
    as well as|more than|less than|the same|the other|the first|the best|the most|the whole|
    the end|the way|the day|the time|the thing|the world|years ago|long time|first time|
    next time|last time|this time|good morning|good night|how much|how many|what do you think|
    let me|let's go|come on|go ahead|look at|take a look|take a look at|check out|find out|
    pretty much|pretty good|really good|very good|so good|too much|not sure|make it|all right|
    i love|i like|i love it|i like it|love it|like it|you want|if you want|if you want to|
    do you|are you|have you|can you|did you|would you|i can|i will|i would|we can|we have|
    had been|have been|has been|will be|would be|could be|should be|might be|must be|can be|
    he said|she said|i said|they said|you said|said to|told me|told him|told her|ask me|
    """.replace("\n", "").split("|")
) - {""}

# Spoken/sales catchphrases that count as distinctive even though every word is common.
KNOWN_CATCHPHRASES = frozenset(
    """
    at the end of the day|let me tell you|trust me|believe me|to be honest|to be fair|i'm telling you|
    here's the thing|check it out|you know what|guess what|no joke|for real|not gonna lie|hands down|
    no brainer|game changer|you guys|love you guys|you're gonna love|you're going to love|
    i swear|honestly obsessed|i'm obsessed|so good|so cute|so soft|like i said|bottom line|
    if you ask me|real talk|no way|oh my god|oh my gosh|you won't regret|can't go wrong|
    you can't go wrong|best part|the best part|stay tuned|let's dive in|without further ado|
    """.replace("\n", "").split("|")
) - {""}

# Words that cannot start a catchphrase (it would be a fragment: "and the colour", "the game changer").
BAD_PHRASE_START = _words("a an the and or but of to for nor as than")

# Words that cannot end a catchphrase ("love the", "one of", "made of").
BAD_PHRASE_END = _words(
    """
    it's that's there's here's what's let's i'm you're we're they're he's she's
    a an the and or but nor of to in on at by for from with into onto about as than if because so
    is are was were be been being am has had do does my your our their his her its this these those
    very really just i we they he she who which whose
    """
)

# Second-person words: a question containing one is addressed to the listener.
YOU_WORDS = _words("you your yours yourself yourselves you're you'll you've you'd ya y'all")
I_WORDS = _words("i me my mine myself i'm i've i'll i'd")
WE_WORDS = _words("we us our ours ourselves we're we've we'll we'd let's")
