/* The words a guild's word list found clean, asked about a whole message in one pass.
 *
 * Issue 13: automod judges every message of a busy server, and for a 2,000-character message
 * Python's `text.split()` then `set.issuperset(tokens)` (some 360 new word objects, each made
 * and hashed) cost more than discord.py's own parse of the message. This table keeps its
 * words' hashes over their code points, so `unseen(text)` walks the text once, splitting where
 * `str.split()` splits (Py_UNICODE_ISSPACE) and hashing as it goes: no object is made for a
 * word the table holds. `clean_words.py` holds the same behaviour in Python, used when this
 * module could not be compiled, and the tests hold both to the same answers.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

typedef struct {
    Py_uhash_t hash;
    PyObject *word; /* a str, owned; NULL when the slot is empty */
} Slot;

typedef struct {
    PyObject_HEAD
    Slot *slots;
    size_t mask;          /* number of slots - 1 (a power of two, at least twice capacity) */
    Py_ssize_t count;
    Py_ssize_t capacity;  /* words kept at most; a full table takes no more */
} CleanWords;

#define MAX_PROBES 8
/* A word whose slot is not found within MAX_PROBES slots counts as unseen (and is not kept):
 * the filter then reads it the slow way, so words chosen to collide cost a member no more than
 * new words do, and never a long scan. */

static Py_uhash_t seed; /* set from the process's randomised str hash at import */
static unsigned char latin1_space[256]; /* Py_UNICODE_ISSPACE of each one-byte character */

/* A word's hash is made from its first and last eight characters, so it costs the same for a
 * word of any length; only the search for spaces goes character by character (the table
 * compares the whole word before it answers). A character stands for one byte there: itself
 * below 256, so a word hashes the same whichever width of str holds it. */
static inline uint64_t
byte_of(Py_UCS4 character)
{
    return (uint64_t)((character ^ (character >> 8) ^ (character >> 16)) & 0xff);
}

static inline Py_uhash_t
combine(uint64_t first, uint64_t last, Py_ssize_t length)
{
    uint64_t mixed = (uint64_t)seed ^ first ^ ((last << 29) | (last >> 35)) ^
                     ((uint64_t)length * 0x9e3779b97f4a7c15ULL);
    mixed ^= mixed >> 33; /* the finaliser of MurmurHash3 */
    mixed *= 0xff51afd7ed558ccdULL;
    mixed ^= mixed >> 33;
    mixed *= 0xc4ceb9fe1a85ec53ULL;
    mixed ^= mixed >> 33;
    return (Py_uhash_t)mixed;
}

/* Eight bytes of a one-byte str, the first in the lowest byte (as hash_of builds them). */
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

/* The hash of a word of a one-byte str, ``readable`` bytes of which may be read from its
 * start (a word of the text and what follows it). */
static inline Py_uhash_t
hash_of_bytes(const Py_UCS1 *word, Py_ssize_t length, Py_ssize_t readable)
{
    uint64_t first = 0;
    uint64_t last = 0;
    if (length >= 8) {
        first = load_le64(word);
        last = load_le64(word + length - 8);
    }
    else if (readable >= 8) { /* one load, masked to the word: no loop to mispredict */
        first = load_le64(word) & ~(~(uint64_t)0 << (8 * length));
    }
    else {
        for (Py_ssize_t i = 0; i < length; i++) {
            first |= (uint64_t)word[i] << (8 * i);
        }
    }
    return combine(first, last, length);
}

/* The hash of text[start:end] in a str of any width: hash_of_bytes for a word below 256. */
static Py_uhash_t
hash_of(int kind, const void *data, Py_ssize_t start, Py_ssize_t end)
{
    Py_ssize_t length = end - start;
    if (kind == PyUnicode_1BYTE_KIND) {
        return hash_of_bytes((const Py_UCS1 *)data + start, length, length);
    }
    uint64_t first = 0;
    uint64_t last = 0;
    if (length >= 8) {
        for (int i = 0; i < 8; i++) {
            first |= byte_of(PyUnicode_READ(kind, data, start + i)) << (8 * i);
            last |= byte_of(PyUnicode_READ(kind, data, end - 8 + i)) << (8 * i);
        }
    }
    else {
        for (Py_ssize_t i = 0; i < length; i++) {
            first |= byte_of(PyUnicode_READ(kind, data, start + i)) << (8 * i);
        }
    }
    return combine(first, last, length);
}

/* Whether the stored word is text[start:end]. */
static int
same_word(PyObject *word, int kind, const void *data, Py_ssize_t start, Py_ssize_t end)
{
    Py_ssize_t length = end - start;
    if (PyUnicode_GET_LENGTH(word) != length) {
        return 0;
    }
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

/* The slot holding text[start:end], or the empty slot where it would go; NULL when neither
 * is within MAX_PROBES slots. */
static Slot *
find_slot(CleanWords *self, Py_uhash_t hash, int kind, const void *data, Py_ssize_t start,
          Py_ssize_t end)
{
    size_t index = (size_t)hash & self->mask;
    for (int probe = 0; probe < MAX_PROBES; probe++) {
        Slot *slot = &self->slots[index];
        if (slot->word == NULL ||
            (slot->hash == hash && same_word(slot->word, kind, data, start, end))) {
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
    size_t slots = 2;
    while (slots < (size_t)capacity * 2) {
        slots <<= 1;
    }
    if (self->slots != NULL) {
        drop_all(self);
        PyMem_Free(self->slots);
    }
    self->slots = PyMem_Calloc(slots, sizeof(Slot));
    if (self->slots == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    self->mask = slots - 1;
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

static PyObject *
CleanWords_unseen(CleanWords *self, PyObject *text)
{
    if (check_ready(self) < 0) {
        return NULL;
    }
    if (!PyUnicode_Check(text)) {
        PyErr_Format(PyExc_TypeError, "unseen() takes a str, not %.100s", Py_TYPE(text)->tp_name);
        return NULL;
    }
    if (ready(text) < 0) {
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
        Py_uhash_t hash = kind == PyUnicode_1BYTE_KIND
                              ? hash_of_bytes((const Py_UCS1 *)data + start, end - start,
                                              length - start)
                              : hash_of(kind, data, start, end);
        Slot *slot = find_slot(self, hash, kind, data, start, end);
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
        if (ready(word) < 0) {
            Py_DECREF(word);
            Py_DECREF(iterator);
            return NULL;
        }
        int kind = PyUnicode_KIND(word);
        const void *data = PyUnicode_DATA(word);
        Py_ssize_t length = PyUnicode_GET_LENGTH(word);
        Py_uhash_t hash = hash_of(kind, data, 0, length);
        Slot *slot = find_slot(self, hash, kind, data, 0, length);
        if (slot != NULL && slot->word == NULL && self->count < self->capacity) {
            slot->hash = hash;
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
    .tp_name = "botfleet.bots.mod.services._clean_words.CleanWords",
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

static struct PyModuleDef clean_words_module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "botfleet.bots.mod.services._clean_words",
    .m_doc = "The compiled table of clean words behind the Mod Bot's word filter (issue 13).",
    .m_size = -1,
};

PyMODINIT_FUNC
PyInit__clean_words(void)
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
    PyObject *module = PyModule_Create(&clean_words_module);
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
