/* The Mod Bot's automod text scans, in C (issue 13).
 *
 * Automod judges every message of a busy server, and in Python a 2,000-character message cost
 * more than discord.py's own parse of it: the word rule's `text.split()` and
 * `set.issuperset(words)` made and hashed some 360 word objects, and the caps rule walked the
 * text twice. Here:
 * - CleanWords, the words a word list found clean: `unseen(text)` walks the text once,
 *   splitting where `str.split()` splits (Py_UNICODE_ISSPACE), and makes an object only for a
 *   word the table does not hold;
 * - ascii_cases(text): the capitals and small letters of a text in one pass;
 * - contains(text, needle): `needle in text`, by memmem for one-byte strs (the rules' looks
 *   for "www.", "http" and the patterns' required words).
 * `text_scan.py` holds the same behaviour in Python, used when this module could not be
 * compiled, and the tests hold both to the same answers.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

/* What a word is looked up by: its hash, length and first and last eight characters. */
typedef struct {
    Py_uhash_t hash;
    uint64_t first;
    uint64_t last;
    Py_ssize_t length;
} Key;

typedef struct {
    Key key;
    PyObject *word; /* a str, owned; NULL when the slot is empty */
    int narrow;     /* a one-byte str: its key's bytes are its characters */
} Slot;

typedef struct {
    PyObject_HEAD
    Slot *slots;
    size_t mask;          /* number of slots - 1 (a power of two; kept at most half full) */
    Py_ssize_t count;
    Py_ssize_t capacity;  /* words kept at most; a full table takes no more */
} CleanWords;

#define MAX_PROBES 32
/* A word whose slot is not found within MAX_PROBES slots counts as unseen (and is not kept):
 * the filter then reads it the slow way. The table is at most half full, so a word is seldom
 * that far from its slot; words made to share a key (alike in their first and last eight
 * characters, their length and their middle's hash) cost a member no more than new words do,
 * and never a long scan. This cap, not the seed, is what bounds them. */
#define FIRST_SLOTS 64 /* a table starts this small and doubles as it fills */

static Py_uhash_t seed; /* from the process's randomised str hash, at import */
static unsigned char latin1_space[256]; /* Py_UNICODE_ISSPACE of each one-byte character */

/* A word's key is its length and its first and last eight characters, hashed together: it
 * costs the same for a word of any length, so only the search for spaces goes character by
 * character. The table compares the whole word before it answers: for one-byte words of up to
 * sixteen characters the key is the whole word, so no string is read. A character stands for
 * one byte in a key: itself below 256, so a word's key is the same whichever width of str
 * holds it. */
static inline uint64_t
byte_of(Py_UCS4 character)
{
    return (uint64_t)((character ^ (character >> 8) ^ (character >> 16)) & 0xff);
}

static inline Key
key_of(uint64_t first, uint64_t last, uint64_t middle, Py_ssize_t length)
{
    uint64_t mixed = (uint64_t)seed ^ first ^ ((last << 29) | (last >> 35)) ^ middle ^
                     ((uint64_t)length * 0x9e3779b97f4a7c15ULL);
    mixed ^= mixed >> 33; /* the finaliser of MurmurHash3 */
    mixed *= 0xff51afd7ed558ccdULL;
    mixed ^= mixed >> 33;
    mixed *= 0xc4ceb9fe1a85ec53ULL;
    mixed ^= mixed >> 33;
    Key key = {(Py_uhash_t)mixed, first, last, length};
    return key;
}

/* A word longer than sixteen characters: its characters between the first and last eight,
 * hashed (FNV-1a from the seed), so that long words alike at both ends hash apart. */
static inline uint64_t
middle_step(uint64_t hash, uint64_t byte)
{
    return (hash ^ byte) * 0x100000001b3ULL;
}

/* Eight bytes of a one-byte str, the first in the lowest byte (as key_of_text builds them). */
static inline uint64_t
load_le64(const Py_UCS1 *bytes)
{
    uint64_t value;
    memcpy(&value, bytes, 8);
#if PY_BIG_ENDIAN
    value = __builtin_bswap64(value);
#endif
    return value;
}

/* The key of a word of a one-byte str, ``readable`` bytes of which may be read from its start
 * (a word of the text and what follows it). */
static inline Key
key_of_bytes(const Py_UCS1 *word, Py_ssize_t length, Py_ssize_t readable)
{
    uint64_t first = 0;
    uint64_t last = 0;
    uint64_t middle = 0;
    if (length >= 8) {
        first = load_le64(word);
        last = load_le64(word + length - 8);
        if (length > 16) {
            middle = (uint64_t)seed;
            for (Py_ssize_t i = 8; i < length - 8; i++) {
                middle = middle_step(middle, word[i]);
            }
        }
    }
    else if (readable >= 8) { /* one load, masked to the word: no loop to mispredict */
        first = load_le64(word) & ~(~(uint64_t)0 << (8 * length));
    }
    else {
        for (Py_ssize_t i = 0; i < length; i++) {
            first |= (uint64_t)word[i] << (8 * i);
        }
    }
    return key_of(first, last, middle, length);
}

/* The key of text[start:end] in a str of any width: key_of_bytes for a word below 256. */
static Key
key_of_text(int kind, const void *data, Py_ssize_t start, Py_ssize_t end)
{
    Py_ssize_t length = end - start;
    if (kind == PyUnicode_1BYTE_KIND) {
        return key_of_bytes((const Py_UCS1 *)data + start, length, length);
    }
    uint64_t first = 0;
    uint64_t last = 0;
    uint64_t middle = 0;
    if (length >= 8) {
        for (int i = 0; i < 8; i++) {
            first |= byte_of(PyUnicode_READ(kind, data, start + i)) << (8 * i);
            last |= byte_of(PyUnicode_READ(kind, data, end - 8 + i)) << (8 * i);
        }
        if (length > 16) {
            middle = (uint64_t)seed;
            for (Py_ssize_t i = start + 8; i < end - 8; i++) {
                middle = middle_step(middle, byte_of(PyUnicode_READ(kind, data, i)));
            }
        }
    }
    else {
        for (Py_ssize_t i = 0; i < length; i++) {
            first |= byte_of(PyUnicode_READ(kind, data, start + i)) << (8 * i);
        }
    }
    return key_of(first, last, middle, length);
}

/* Whether the stored word is text[start:end] (of the key's length). */
static int
same_word(const Slot *slot, const Key *key, int kind, const void *data, Py_ssize_t start)
{
    if (slot->key.hash != key->hash || slot->key.length != key->length) {
        return 0;
    }
    Py_ssize_t length = key->length;
    if (slot->narrow && kind == PyUnicode_1BYTE_KIND && length <= 16) {
        /* both one-byte: the first and last eight characters are the whole word */
        return slot->key.first == key->first && slot->key.last == key->last;
    }
    PyObject *word = slot->word;
    int word_kind = PyUnicode_KIND(word);
    const void *word_data = PyUnicode_DATA(word);
    if (word_kind == kind) {
        return memcmp(word_data, (const char *)data + start * kind, (size_t)(length * kind)) == 0;
    }
    for (Py_ssize_t i = 0; i < length; i++) {
        if (PyUnicode_READ(word_kind, word_data, i) != PyUnicode_READ(kind, data, start + i)) {
            return 0;
        }
    }
    return 1;
}

/* The slot holding text[start:start + key length], or the empty slot where it would go; NULL
 * when neither is within MAX_PROBES slots. */
static Slot *
find_slot(CleanWords *self, const Key *key, int kind, const void *data, Py_ssize_t start)
{
    size_t index = (size_t)key->hash & self->mask;
    for (int probe = 0; probe < MAX_PROBES; probe++) {
        Slot *slot = &self->slots[index];
        if (slot->word == NULL || same_word(slot, key, kind, data, start)) {
            return slot;
        }
        index = (index + 1) & self->mask;
    }
    return NULL;
}

static void
drop_all(CleanWords *self)
{
    for (size_t index = 0; index <= self->mask; index++) {
        Py_CLEAR(self->slots[index].word);
    }
    self->count = 0;
}

/* A fresh empty table of ``slots`` slots in place of the current one (whose words the caller
 * has moved or released); -1 with MemoryError, the current table kept, when it cannot. */
static int
replace_slots(CleanWords *self, size_t slots)
{
    Slot *fresh = PyMem_Calloc(slots, sizeof(Slot));
    if (fresh == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    PyMem_Free(self->slots);
    self->slots = fresh;
    self->mask = slots - 1;
    return 0;
}

/* Twice the slots, every word moved to its place there (one that would land past MAX_PROBES,
 * very rarely, is let go: it will count as unseen). */
static int
grow(CleanWords *self)
{
    Slot *old = self->slots;
    size_t old_slots = self->mask + 1;
    Slot *fresh = PyMem_Calloc(old_slots * 2, sizeof(Slot));
    if (fresh == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    self->slots = fresh;
    self->mask = old_slots * 2 - 1;
    for (size_t index = 0; index < old_slots; index++) {
        if (old[index].word == NULL) {
            continue;
        }
        size_t place = (size_t)old[index].key.hash & self->mask;
        int probe = 0;
        while (probe < MAX_PROBES && fresh[place].word != NULL) {
            place = (place + 1) & self->mask;
            probe++;
        }
        if (probe < MAX_PROBES) {
            fresh[place] = old[index];
        }
        else {
            Py_DECREF(old[index].word);
            self->count--;
        }
    }
    PyMem_Free(old);
    return 0;
}

static int
CleanWords_init(CleanWords *self, PyObject *args, PyObject *kwargs)
{
    static char *keywords[] = {"capacity", NULL};
    Py_ssize_t capacity;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "n", keywords, &capacity)) {
        return -1;
    }
    if (capacity < 1 || capacity > (PY_SSIZE_T_MAX / 4) / (Py_ssize_t)sizeof(Slot)) {
        PyErr_SetString(PyExc_ValueError, "capacity must be a positive number of words");
        return -1;
    }
    if (self->slots != NULL) {
        drop_all(self);
    }
    if (replace_slots(self, FIRST_SLOTS) < 0) {
        return -1;
    }
    self->count = 0;
    self->capacity = capacity;
    return 0;
}

static void
CleanWords_dealloc(CleanWords *self)
{
    if (self->slots != NULL) {
        drop_all(self);
        PyMem_Free(self->slots);
    }
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static int
check_ready(CleanWords *self)
{
    if (self->slots == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "CleanWords was not initialised");
        return -1;
    }
    return 0;
}

/* Where the word starting at or after ``index`` starts and ends (start == length: none). */
static inline Py_ssize_t
next_word(int kind, const void *data, Py_ssize_t length, Py_ssize_t index, Py_ssize_t *end)
{
    if (kind == PyUnicode_1BYTE_KIND) { /* most chat: a table and a byte per character */
        const Py_UCS1 *bytes = data;
        while (index < length && latin1_space[bytes[index]]) {
            index++;
        }
        Py_ssize_t start = index;
        while (index < length && !latin1_space[bytes[index]]) {
            index++;
        }
        *end = index;
        return start;
    }
    while (index < length && Py_UNICODE_ISSPACE(PyUnicode_READ(kind, data, index))) {
        index++;
    }
    Py_ssize_t start = index;
    while (index < length && !Py_UNICODE_ISSPACE(PyUnicode_READ(kind, data, index))) {
        index++;
    }
    *end = index;
    return start;
}

static int ready(PyObject *text);

/* 0 for a str ready to be read by kind and data; else -1 with the error set. */
static int
text_argument(PyObject *text, const char *function)
{
    if (!PyUnicode_Check(text)) {
        PyErr_Format(PyExc_TypeError, "%s() takes a str, not %.100s", function,
                     Py_TYPE(text)->tp_name);
        return -1;
    }
    return ready(text);
}

static PyObject *
CleanWords_unseen(CleanWords *self, PyObject *text)
{
    if (check_ready(self) < 0) {
        return NULL;
    }
    if (text_argument(text, "unseen") < 0) {
        return NULL;
    }
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    Py_ssize_t length = PyUnicode_GET_LENGTH(text);
    PyObject *unseen = PyList_New(0);
    Py_ssize_t end = 0;
    while (unseen != NULL) {
        Py_ssize_t start = next_word(kind, data, length, end, &end);
        if (start == length) {
            break;
        }
        Key key = kind == PyUnicode_1BYTE_KIND
                      ? key_of_bytes((const Py_UCS1 *)data + start, end - start, length - start)
                      : key_of_text(kind, data, start, end);
        Slot *slot = find_slot(self, &key, kind, data, start);
        if (slot != NULL && slot->word != NULL) {
            continue;
        }
        PyObject *word = PyUnicode_Substring(text, start, end);
        if (word == NULL || PyList_Append(unseen, word) < 0) {
            Py_CLEAR(unseen);
        }
        Py_XDECREF(word);
    }
    return unseen;
}

static PyObject *
CleanWords_add(CleanWords *self, PyObject *words)
{
    if (check_ready(self) < 0) {
        return NULL;
    }
    PyObject *iterator = PyObject_GetIter(words);
    if (iterator == NULL) {
        return NULL;
    }
    PyObject *word;
    while ((word = PyIter_Next(iterator)) != NULL) {
        if (!PyUnicode_Check(word)) {
            PyErr_Format(PyExc_TypeError, "CleanWords holds str, not %.100s",
                         Py_TYPE(word)->tp_name);
            Py_DECREF(word);
            Py_DECREF(iterator);
            return NULL;
        }
        if (!PyUnicode_CheckExact(word)) { /* a subclass's own equality is not ours: a copy */
            Py_SETREF(word, PyUnicode_FromObject(word));
        }
        if (word == NULL || ready(word) < 0) {
            Py_XDECREF(word);
            Py_DECREF(iterator);
            return NULL;
        }
        int kind = PyUnicode_KIND(word);
        const void *data = PyUnicode_DATA(word);
        Py_ssize_t length = PyUnicode_GET_LENGTH(word);
        if (self->count < self->capacity && (size_t)(self->count + 1) * 2 > self->mask + 1 &&
            grow(self) < 0) {
            Py_DECREF(word);
            Py_DECREF(iterator);
            return NULL;
        }
        Key key = key_of_text(kind, data, 0, length);
        Slot *slot = find_slot(self, &key, kind, data, 0);
        if (slot != NULL && slot->word == NULL && self->count < self->capacity) {
            slot->key = key;
            slot->narrow = kind == PyUnicode_1BYTE_KIND;
            slot->word = word; /* the reference PyIter_Next gave */
            self->count++;
        }
        else {
            Py_DECREF(word);
        }
    }
    Py_DECREF(iterator);
    if (PyErr_Occurred()) {
        return NULL;
    }
    Py_RETURN_NONE;
}

static PyObject *
CleanWords_clear(CleanWords *self, PyObject *Py_UNUSED(ignored))
{
    if (check_ready(self) < 0) {
        return NULL;
    }
    drop_all(self);
    if (self->mask + 1 > FIRST_SLOTS && replace_slots(self, FIRST_SLOTS) < 0) {
        PyErr_Clear(); /* no memory for a smaller table: keep the large one, emptied */
    }
    Py_RETURN_NONE;
}

/* Python 3.11 may still hold a str in its legacy form; 3.12 made every str ready. */
static int
ready(PyObject *text)
{
#if PY_VERSION_HEX < 0x030C0000
    return PyUnicode_READY(text);
#else
    (void)text;
    return 0;
#endif
}

static Py_ssize_t
CleanWords_len(CleanWords *self)
{
    return self->count;
}

static PyObject *
CleanWords_capacity(CleanWords *self, void *Py_UNUSED(closure))
{
    return PyLong_FromSsize_t(self->capacity);
}

/* ascii_cases(text): the capitals A-Z and the small letters a-z of a str, in one pass. The
 * caps rule's count for an ASCII message (it walked the text twice in Python). */
static PyObject *
ascii_cases(PyObject *Py_UNUSED(module), PyObject *text)
{
    if (text_argument(text, "ascii_cases") < 0) {
        return NULL;
    }
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    Py_ssize_t length = PyUnicode_GET_LENGTH(text);
    Py_ssize_t capitals = 0;
    Py_ssize_t small = 0;
    if (kind == PyUnicode_1BYTE_KIND) {
        const Py_UCS1 *bytes = data;
        /* Blocks of 255 counted in bytes, which cannot overflow there: a loop the compiler
         * vectorises, sixteen or more characters a step. */
        for (Py_ssize_t block = 0; block < length; block += 255) {
            Py_ssize_t block_end = block + 255 < length ? block + 255 : length;
            unsigned char block_capitals = 0;
            unsigned char block_small = 0;
            for (Py_ssize_t index = block; index < block_end; index++) {
                block_capitals += (Py_UCS1)(bytes[index] - 'A') < 26;
                block_small += (Py_UCS1)(bytes[index] - 'a') < 26;
            }
            capitals += block_capitals;
            small += block_small;
        }
    }
    else {
        for (Py_ssize_t index = 0; index < length; index++) {
            Py_UCS4 character = PyUnicode_READ(kind, data, index);
            capitals += character - 'A' < 26;
            small += character - 'a' < 26;
        }
    }
    return Py_BuildValue("(nn)", capitals, small);
}

/* contains(text, needle): whether the needle is in the text, as `needle in text`. Python's
 * search walks a 2,000-character message in about a microsecond; glibc's memmem, given a
 * one-byte text and needle, about three times faster (pyconfig.h's _GNU_SOURCE declares it). */
static PyObject *
contains(PyObject *Py_UNUSED(module), PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 2) {
        PyErr_SetString(PyExc_TypeError, "contains() takes a text and a needle");
        return NULL;
    }
    PyObject *text = args[0];
    PyObject *needle = args[1];
    if (text_argument(text, "contains") < 0 || text_argument(needle, "contains") < 0) {
        return NULL;
    }
#if defined(__GLIBC__) || defined(__APPLE__) || defined(__FreeBSD__)
    if (PyUnicode_KIND(text) == PyUnicode_1BYTE_KIND &&
        PyUnicode_KIND(needle) == PyUnicode_1BYTE_KIND) {
        size_t size = (size_t)PyUnicode_GET_LENGTH(needle);
        return PyBool_FromLong(
            size == 0 || memmem(PyUnicode_DATA(text), (size_t)PyUnicode_GET_LENGTH(text),
                                PyUnicode_DATA(needle), size) != NULL);
    }
#endif
    int found = PyUnicode_Contains(text, needle);
    return found < 0 ? NULL : PyBool_FromLong(found);
}

static PyMethodDef module_functions[] = {
    {"contains", (PyCFunction)(void (*)(void))contains, METH_FASTCALL,
     "Whether the needle is in the text, as `needle in text`."},
    {"ascii_cases", (PyCFunction)ascii_cases, METH_O,
     "The capitals A-Z and the small letters a-z of a str, as a pair of counts."},
    {NULL, NULL, 0, NULL},
};

static PyMethodDef CleanWords_methods[] = {
    {"unseen", (PyCFunction)CleanWords_unseen, METH_O,
     "The words of the text (split as str.split splits) the table does not hold, in order."},
    {"add", (PyCFunction)CleanWords_add, METH_O,
     "Keep these words, as many as the capacity leaves room for."},
    {"clear", (PyCFunction)CleanWords_clear, METH_NOARGS, "Forget every word."},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef CleanWords_getset[] = {
    {"capacity", (getter)CleanWords_capacity, NULL, "Words kept at most.", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PySequenceMethods CleanWords_as_sequence = {
    .sq_length = (lenfunc)CleanWords_len,
};

static PyTypeObject CleanWordsType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "botfleet.bots.mod.services._text_scan.CleanWords",
    .tp_doc = "Words known to match none of a list's entries, asked about a text in one pass.",
    .tp_basicsize = sizeof(CleanWords),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)CleanWords_init,
    .tp_dealloc = (destructor)CleanWords_dealloc,
    .tp_methods = CleanWords_methods,
    .tp_getset = CleanWords_getset,
    .tp_as_sequence = &CleanWords_as_sequence,
};

static struct PyModuleDef text_scan_module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "botfleet.bots.mod.services._text_scan",
    .m_doc = "The Mod Bot's automod text scans in C (issue 13).",
    .m_size = -1,
    .m_methods = module_functions,
};

PyMODINIT_FUNC
PyInit__text_scan(void)
{
    PyObject *salt = PyUnicode_FromString("botfleet clean words");
    if (salt == NULL) {
        return NULL;
    }
    Py_hash_t salt_hash = PyObject_Hash(salt);
    Py_DECREF(salt);
    if (salt_hash == -1) {
        return NULL;
    }
    seed = (Py_uhash_t)salt_hash;
    for (int character = 0; character < 256; character++) {
        latin1_space[character] = Py_UNICODE_ISSPACE(character) ? 1 : 0;
    }
    if (PyType_Ready(&CleanWordsType) < 0) {
        return NULL;
    }
    PyObject *module = PyModule_Create(&text_scan_module);
    if (module == NULL) {
        return NULL;
    }
    Py_INCREF(&CleanWordsType);
    if (PyModule_AddObject(module, "CleanWords", (PyObject *)&CleanWordsType) < 0) {
        Py_DECREF(&CleanWordsType);
        Py_DECREF(module);
        return NULL;
    }
    return module;
}
