/*
 * sharedatomic._native: the CPython extension under the sharedatomic
 * package.  Its types hold the hot paths, so `d[k]`, `d[k] = v`, `k in d`
 * and the value operations go from the interpreter straight to
 * libsharedatomic (mapping slots and METH_FASTCALL, no ctypes).
 *
 *   Map    the core of AtomicDict: an open struct satomic_map.
 *   Value  the core of AtomicInt/UInt/Float/Bool: one word in a region.
 *
 * The Python classes in _dict.py and _values.py subclass these and add
 * names, pickling and the collections.abc mixins.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <errno.h>
#include <stdint.h>
#include <string.h>

#include <sharedatomic.h>

#if PY_VERSION_HEX < 0x030A0000	/* Python 3.9 */
static PyObject *Py_NewRef(PyObject *o)
{
	Py_INCREF(o);
	return o;
}

static int PyModule_AddObjectRef(PyObject *m, const char *name, PyObject *o)
{
	Py_INCREF(o);
	if (PyModule_AddObject(m, name, o) < 0) {
		Py_DECREF(o);
		return -1;
	}
	return 0;
}
#endif

static PyObject *MapFullError;

/* KeyError(key), as dict raises it: the key its only argument, even a
 * tuple (PyErr_SetObject would spread a tuple's items into the args). */
static void key_error(PyObject *key)
{
	PyObject *args = PyTuple_Pack(1, key);

	if (args != NULL) {
		PyErr_SetObject(PyExc_KeyError, args);
		Py_DECREF(args);
	}
}

/* A fast-call method's argument count: false, with TypeError giving the
 * method's signature, when it is not `want`. */
static bool nargs(Py_ssize_t n, Py_ssize_t want, const char *signature)
{
	if (n == want)
		return true;
	PyErr_Format(PyExc_TypeError, "%s takes %zd arguments, not %zd",
		     signature, want, n);
	return false;
}

/* Raise the exception matching a negative errno result of the library;
 * what: the name of the segment, if one is concerned. */
static PyObject *raise_err(int err, PyObject *what)
{
	int code = -err;
	/* satomic_strerror's EPERM names a C flag that Python does not have. */
	const char *text = code == EPERM && what
		? "the segment belongs to another user, who could change any "
		  "value in it (this package opens only segments of its own user)"
		: satomic_strerror(err);
	PyObject *type, *msg, *exc;

	switch (code) {
	case EEXIST: type = PyExc_FileExistsError; break;
	case ENOENT: type = PyExc_FileNotFoundError; break;
	case EPERM: case EACCES: type = PyExc_PermissionError; break;
	case ENOSPC:
		if (what)
			PyErr_Format(MapFullError, "%S: %s", what, text);
		else
			PyErr_SetString(MapFullError, text);
		return NULL;
	case ENOMEM: PyErr_SetString(PyExc_MemoryError, text); return NULL;
	default: type = PyExc_OSError; break;
	}
	msg = what ? PyUnicode_FromFormat("%S: %s", what, text) :
		     PyUnicode_FromString(text);
	if (msg == NULL)
		return NULL;
	exc = PyObject_CallFunction(type, "iO", code, msg);
	Py_DECREF(msg);
	if (exc) {
		PyErr_SetObject(type, exc);
		Py_DECREF(exc);
	}
	return NULL;
}

/*
 * An error from opening segment `name` as `as` (a map, or a value: region
 * kind `want`): TypeError if the name holds a segment of the other kind,
 * which the library calls -EINVAL as it would a corrupt one; else
 * raise_err's exception.
 */
static PyObject *raise_open_err(int err, PyObject *name, unsigned want,
				const char *as)
{
	struct satomic_region_info info;
	const char *cname = PyUnicode_AsUTF8(name);

	if (err == -EINVAL && cname != NULL &&
	    satomic_region_info(cname, &info) == 0 && info.kind != want)
		return PyErr_Format(PyExc_TypeError, "%S holds %s, not %s", name,
				    info.kind == SATOMIC_REGION_KIND_MAP
				    ? "an AtomicDict" : "an atomic value", as);
	return raise_err(err, name);
}

/*
 * An int64 argument that will be written: TypeError for a non-int,
 * OverflowError out of range.  Returns -1 on error.
 */
static int arg_i64(PyObject *o, int64_t *out, const char *what)
{
	int overflow;
	long long v;

	if (!PyLong_Check(o)) {
		PyErr_Format(PyExc_TypeError, "%s must be an int, not %.100s",
			     what, Py_TYPE(o)->tp_name);
		return -1;
	}
	v = PyLong_AsLongLongAndOverflow(o, &overflow);
	if (overflow) {
		PyErr_Format(PyExc_OverflowError,
			     "%s %S does not fit in a signed 64-bit integer", what, o);
		return -1;
	}
	if (v == -1 && PyErr_Occurred())
		return -1;
	*out = v;
	return 0;
}

/*
 * A key that is only looked up: 1 when it is an int64, 0 when it cannot be
 * in the map (another type, or out of range), as a dict of ints answers;
 * -1 with TypeError for an unhashable one, as a dict raises it.
 */
static int key_lookup(PyObject *o, int64_t *out)
{
	int overflow;
	long long v;

	if (!PyLong_Check(o))
		return PyObject_Hash(o) == -1 ? -1 : 0;
	v = PyLong_AsLongLongAndOverflow(o, &overflow);
	if (overflow)
		return 0;
	if (v == -1 && PyErr_Occurred())
		return -1;
	*out = v;
	return 1;
}

/* ------------------------------------------------------------------------
 * Map
 */

typedef struct {
	PyObject_HEAD
	struct satomic_map *map;
	struct satomic_map *closing;	/* closed while iterators were live */
	Py_ssize_t iters;		/* live iterators */
} MapObject;

static PyTypeObject MapType;
static PyTypeObject MapIterType;

static struct satomic_map *map_of(MapObject *self)
{
	if (self->map == NULL)
		PyErr_SetString(PyExc_ValueError, "operation on a closed AtomicDict");
	return self->map;
}

static PyObject *Map_new(PyTypeObject *type, PyObject *args, PyObject *kw)
{
	MapObject *self = (MapObject *)type->tp_alloc(type, 0);

	(void)args; (void)kw;
	return (PyObject *)self;
}

static void map_really_close(MapObject *self)
{
	if (self->map && self->iters == 0) {
		satomic_map_close(self->map);
	} else if (self->map) {
		self->closing = self->map;
	}
	self->map = NULL;
}

static void Map_dealloc(MapObject *self)
{
	map_really_close(self);
	Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyObject *Map_create(MapObject *self, PyObject *const *args, Py_ssize_t n)
{
	const char *name;
	int64_t cap, maxcap;
	struct satomic_map *map;
	int err;

	if (!nargs(n, 3, "_create(name, capacity, max_capacity)"))
		return NULL;
	if (self->map) {
		PyErr_SetString(PyExc_ValueError, "already open");
		return NULL;
	}
	name = PyUnicode_AsUTF8(args[0]);
	if (name == NULL || arg_i64(args[1], &cap, "capacity") ||
	    arg_i64(args[2], &maxcap, "max_capacity"))
		return NULL;
	Py_BEGIN_ALLOW_THREADS
	err = satomic_map_create(name, (uint64_t)cap, (uint64_t)maxcap, 0, 0, &map);
	Py_END_ALLOW_THREADS
	if (err < 0)
		return raise_err(err, args[0]);
	self->map = map;
	Py_RETURN_NONE;
}

static PyObject *Map_open(MapObject *self, PyObject *arg)
{
	const char *name = PyUnicode_AsUTF8(arg);
	struct satomic_map *map;
	int err;

	if (name == NULL)
		return NULL;
	if (self->map) {
		PyErr_SetString(PyExc_ValueError, "already open");
		return NULL;
	}
	Py_BEGIN_ALLOW_THREADS
	err = satomic_map_open(name, 0, &map);
	Py_END_ALLOW_THREADS
	if (err < 0)
		return raise_open_err(err, arg, SATOMIC_REGION_KIND_MAP, "an AtomicDict");
	self->map = map;
	Py_RETURN_NONE;
}

static PyObject *Map_close(MapObject *self, PyObject *unused)
{
	(void)unused;
	map_really_close(self);
	Py_RETURN_NONE;
}

static PyObject *Map_get_closed(MapObject *self, void *unused)
{
	(void)unused;
	return PyBool_FromLong(self->map == NULL);
}

static PyObject *Map_get_address(MapObject *self, void *unused)
{
	(void)unused;
	if (map_of(self) == NULL)
		return NULL;
	return PyLong_FromVoidPtr(self->map);
}

static Py_ssize_t Map_length(MapObject *self)
{
	int64_t n;

	if (map_of(self) == NULL)
		return -1;
	n = satomic_map_count(self->map);
	if (n < 0) {
		raise_err((int)n, NULL);
		return -1;
	}
	return (Py_ssize_t)n;
}

static PyObject *Map_subscript(MapObject *self, PyObject *key)
{
	int64_t k, v;
	int r, err;

	if (map_of(self) == NULL)
		return NULL;
	r = key_lookup(key, &k);
	if (r < 0)
		return NULL;
	if (r == 0) {
		key_error(key);
		return NULL;
	}
	err = satomic_map_get(self->map, k, &v);
	if (err == -ENOENT) {
		key_error(key);
		return NULL;
	}
	if (err < 0)
		return raise_err(err, NULL);
	return PyLong_FromLongLong(v);
}

static int Map_ass_subscript(MapObject *self, PyObject *key, PyObject *value)
{
	int64_t k, v;
	int err;

	if (map_of(self) == NULL)
		return -1;
	if (value == NULL) {
		int r = key_lookup(key, &k);

		if (r < 0)
			return -1;
		if (r == 0 || (err = satomic_map_remove(self->map, k, NULL)) == -ENOENT) {
			key_error(key);
			return -1;
		}
	} else {
		if (arg_i64(key, &k, "key") || arg_i64(value, &v, "value"))
			return -1;
		err = satomic_map_put(self->map, k, v, NULL);
	}
	if (err < 0) {
		raise_err(err, NULL);
		return -1;
	}
	return 0;
}

static int Map_contains(MapObject *self, PyObject *key)
{
	int64_t k;
	int r;

	if (map_of(self) == NULL)
		return -1;
	r = key_lookup(key, &k);
	if (r <= 0)
		return r;
	r = satomic_map_contains(self->map, k);
	if (r < 0) {
		raise_err(r, NULL);
		return -1;
	}
	return r;
}

static PyObject *Map_get(MapObject *self, PyObject *const *args, Py_ssize_t n)
{
	int64_t k, v;
	int r;

	if (n < 1 || n > 2) {
		PyErr_SetString(PyExc_TypeError, "get(key, default=None)");
		return NULL;
	}
	if (map_of(self) == NULL)
		return NULL;
	r = key_lookup(args[0], &k);
	if (r < 0)
		return NULL;
	if (r > 0) {
		int err = satomic_map_get(self->map, k, &v);

		if (err == 0)
			return PyLong_FromLongLong(v);
		if (err != -ENOENT)
			return raise_err(err, NULL);
	}
	if (n == 2)
		return Py_NewRef(args[1]);
	Py_RETURN_NONE;
}

static PyObject *Map_pop(MapObject *self, PyObject *const *args, Py_ssize_t n)
{
	int64_t k, old;
	int r, err = -ENOENT;

	if (n < 1 || n > 2) {
		PyErr_SetString(PyExc_TypeError, "pop(key[, default])");
		return NULL;
	}
	if (map_of(self) == NULL)
		return NULL;
	r = key_lookup(args[0], &k);
	if (r < 0)
		return NULL;
	if (r > 0)
		err = satomic_map_remove(self->map, k, &old);
	if (err == 0)
		return PyLong_FromLongLong(old);
	if (err != -ENOENT)
		return raise_err(err, NULL);
	if (n == 2)
		return Py_NewRef(args[1]);
	key_error(args[0]);
	return NULL;
}

static PyObject *Map_setdefault(MapObject *self, PyObject *const *args, Py_ssize_t n)
{
	int64_t k, v = 0, cur;
	int err;

	if (n < 1 || n > 2) {
		PyErr_SetString(PyExc_TypeError, "setdefault(key, default=0)");
		return NULL;
	}
	if (map_of(self) == NULL || arg_i64(args[0], &k, "key") ||
	    (n == 2 && arg_i64(args[1], &v, "default")))
		return NULL;
	for (;;) {
		err = satomic_map_insert(self->map, k, v);
		if (err == 0)
			return PyLong_FromLongLong(v);
		if (err != -EEXIST)
			return raise_err(err, NULL);
		err = satomic_map_get(self->map, k, &cur);
		if (err == 0)
			return PyLong_FromLongLong(cur);
		if (err != -ENOENT)
			return raise_err(err, NULL);
		/* removed meanwhile: insert again */
	}
}

static PyObject *Map_insert(MapObject *self, PyObject *const *args, Py_ssize_t n)
{
	int64_t k, v;
	int err;

	if (!nargs(n, 2, "insert(key, value)"))
		return NULL;
	if (map_of(self) == NULL || arg_i64(args[0], &k, "key") ||
	    arg_i64(args[1], &v, "value"))
		return NULL;
	err = satomic_map_insert(self->map, k, v);
	if (err == -EEXIST)
		Py_RETURN_FALSE;
	if (err < 0)
		return raise_err(err, NULL);
	Py_RETURN_TRUE;
}

static PyObject *Map_cas(MapObject *self, PyObject *const *args, Py_ssize_t n)
{
	int64_t k, e, v;
	int err;

	if (!nargs(n, 3, "compare_and_swap(key, expected, new)"))
		return NULL;
	if (map_of(self) == NULL || arg_i64(args[0], &k, "key") ||
	    arg_i64(args[1], &e, "expected") || arg_i64(args[2], &v, "new"))
		return NULL;
	err = satomic_map_cas(self->map, k, &e, v);
	if (err == -ENOENT) {
		key_error(args[0]);
		return NULL;
	}
	if (err < 0)
		return raise_err(err, NULL);
	return PyBool_FromLong(err == 1);
}

typedef int (*map_rmw_fn)(struct satomic_map *, int64_t, int64_t, int64_t *);

static PyObject *map_rmw(MapObject *self, PyObject *const *args, Py_ssize_t n,
			 map_rmw_fn fn, int has_default, const char *what)
{
	int64_t k, a = 1, old;
	int err;

	if (n < 2 - has_default || n > 2) {
		PyErr_Format(PyExc_TypeError, "%s takes a key and an argument", what);
		return NULL;
	}
	if (map_of(self) == NULL || arg_i64(args[0], &k, "key") ||
	    (n == 2 && arg_i64(args[1], &a, "argument")))
		return NULL;
	err = fn(self->map, k, a, &old);
	if (err < 0)
		return raise_err(err, NULL);
	return PyLong_FromLongLong(old);
}

#define MAP_RMW(NAME, FN, DEF) \
static PyObject *Map_##NAME(MapObject *self, PyObject *const *a, Py_ssize_t n) \
{ return map_rmw(self, a, n, FN, DEF, #NAME); }
MAP_RMW(add, satomic_map_fetch_add, 1)
MAP_RMW(sub, satomic_map_fetch_sub, 1)
MAP_RMW(band, satomic_map_fetch_and, 0)
MAP_RMW(bor, satomic_map_fetch_or, 0)
MAP_RMW(bxor, satomic_map_fetch_xor, 0)
MAP_RMW(swap, satomic_map_exchange, 0)

static PyObject *Map_capacity(MapObject *self, PyObject *unused)
{
	int64_t n;

	(void)unused;
	if (map_of(self) == NULL)
		return NULL;
	n = satomic_map_capacity(self->map);
	if (n < 0)
		return raise_err((int)n, NULL);
	return PyLong_FromLongLong(n);
}

static PyObject *Map_clear(MapObject *self, PyObject *unused)
{
	int err;

	(void)unused;
	if (map_of(self) == NULL)
		return NULL;
	err = satomic_map_clear(self->map);
	if (err < 0)
		return raise_err(err, NULL);
	Py_RETURN_NONE;
}

/*
 * Iteration: what = 0 keys, 1 values, 2 (key, value) pairs.
 *
 * The library's iterator, which holds one of the map's 512 registry slots
 * (shared by every process's writer threads), lives only while the Python
 * iterator is being advanced: it begins at the first next(), and ends as
 * soon as it is exhausted, fails, or the Python iterator is collected.
 * iter(d) alone holds nothing but a reference to d, so any number of
 * iterators may wait unstarted.  Only started iterators count in
 * owner->iters, which keeps a closed map mapped until they end.
 */
enum { IT_NEW, IT_RUNNING, IT_DONE };

typedef struct {
	PyObject_HEAD
	MapObject *owner;
	struct satomic_map_iter *it;	/* while IT_RUNNING */
	int what;
	int state;
} MapIterObject;

static PyObject *Map_iterate(MapObject *self, PyObject *arg)
{
	MapIterObject *it;
	long what = PyLong_AsLong(arg);

	if (what == -1 && PyErr_Occurred())
		return NULL;
	if (map_of(self) == NULL)
		return NULL;
	it = PyObject_GC_New(MapIterObject, &MapIterType);
	if (it == NULL)
		return NULL;
	it->owner = (MapObject *)Py_NewRef((PyObject *)self);
	it->it = NULL;
	it->what = (int)what;
	it->state = IT_NEW;
	PyObject_GC_Track(it);
	return (PyObject *)it;
}

/* End the library's iterator, if it runs; no more items either way. */
static void MapIter_finish(MapIterObject *it)
{
	MapObject *owner = it->owner;

	if (it->state == IT_RUNNING) {
		satomic_map_iter_end(it->it);
		it->it = NULL;
		owner->iters--;
		if (owner->iters == 0 && owner->closing) {
			satomic_map_close(owner->closing);
			owner->closing = NULL;
		}
	}
	it->state = IT_DONE;
}

static int MapIter_traverse(MapIterObject *it, visitproc visit, void *arg)
{
	Py_VISIT(it->owner);
	return 0;
}

static int MapIter_clear(MapIterObject *it)
{
	if (it->owner) {
		MapIter_finish(it);
		Py_CLEAR(it->owner);
	}
	return 0;
}

static void MapIter_dealloc(MapIterObject *it)
{
	PyObject_GC_UnTrack(it);
	MapIter_clear(it);
	PyObject_GC_Del(it);
}

static PyObject *MapIter_next(MapIterObject *it)
{
	int64_t k, v;
	int r;

	if (it->state == IT_DONE)
		return NULL;
	if (it->owner->map == NULL) {
		bool started = it->state == IT_RUNNING;

		MapIter_finish(it);
		PyErr_SetString(PyExc_ValueError, started
				? "AtomicDict closed during iteration"
				: "operation on a closed AtomicDict");
		return NULL;
	}
	if (it->state == IT_NEW) {
		/* A failure (-EAGAIN: the registry is full) leaves it unstarted:
		 * next() may try again. */
		r = satomic_map_iter_begin(it->owner->map, &it->it);
		if (r < 0)
			return raise_err(r, NULL);
		it->state = IT_RUNNING;
		it->owner->iters++;
	}
	r = satomic_map_iter_next(it->it, &k, &v);
	if (r <= 0) {
		if (r == -EPERM) {	/* every time (the C text names C flags) */
			PyErr_SetString(PyExc_PermissionError,
					"this iterator was started by another process "
					"(before fork): start a new one here");
			return NULL;
		}
		MapIter_finish(it);
		return r < 0 ? raise_err(r, NULL) : NULL;
	}
	if (it->what == 0)
		return PyLong_FromLongLong(k);
	if (it->what == 1)
		return PyLong_FromLongLong(v);
	return Py_BuildValue("(LL)", (long long)k, (long long)v);
}

static PyTypeObject MapIterType = {
	PyVarObject_HEAD_INIT(NULL, 0)
	.tp_name = "sharedatomic._native.MapIterator",
	.tp_basicsize = sizeof(MapIterObject),
	.tp_dealloc = (destructor)MapIter_dealloc,
	.tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
	.tp_doc = "An iterator over an AtomicDict (weakly consistent); it takes\n"
		  "one of the map's registry slots from its first next() until\n"
		  "it is exhausted or collected.",
	.tp_traverse = (traverseproc)MapIter_traverse,
	.tp_clear = (inquiry)MapIter_clear,
	.tp_iter = PyObject_SelfIter,
	.tp_iternext = (iternextfunc)MapIter_next,
};

static PyObject *Map_iter(MapObject *self)
{
	PyObject *zero = PyLong_FromLong(0), *r;

	if (zero == NULL)
		return NULL;
	r = Map_iterate(self, zero);
	Py_DECREF(zero);
	return r;
}

static PyMethodDef Map_methods[] = {
	{"_create", (PyCFunction)(void (*)(void))Map_create, METH_FASTCALL,
	 "_create(name, capacity, max_capacity): create the named map."},
	{"_open", (PyCFunction)Map_open, METH_O, "_open(name): open the named map."},
	{"_close", (PyCFunction)Map_close, METH_NOARGS, "Detach from the map."},
	{"_iterate", (PyCFunction)Map_iterate, METH_O,
	 "_iterate(what): an iterator of keys (0), values (1) or items (2)."},
	{"get", (PyCFunction)(void (*)(void))Map_get, METH_FASTCALL,
	 "get(key, default=None) -> the value of key, or default when absent\n"
	 "(also for a key that is not an int64, which can never be present)."},
	{"pop", (PyCFunction)(void (*)(void))Map_pop, METH_FASTCALL,
	 "pop(key[, default]) -> remove key and return its value; default (if\n"
	 "given) when absent, else KeyError."},
	{"setdefault", (PyCFunction)(void (*)(void))Map_setdefault, METH_FASTCALL,
	 "setdefault(key, default=0) -> insert key with default if absent;\n"
	 "return its value either way (atomically)."},
	{"insert", (PyCFunction)(void (*)(void))Map_insert, METH_FASTCALL,
	 "insert(key, value) -> True if key was absent and is now set,\n"
	 "False (and nothing written) if it was present."},
	{"compare_and_swap", (PyCFunction)(void (*)(void))Map_cas, METH_FASTCALL,
	 "compare_and_swap(key, expected, new) -> set key to new if its value\n"
	 "is expected; True if it did.  KeyError if the key is absent."},
	{"add", (PyCFunction)(void (*)(void))Map_add, METH_FASTCALL,
	 "add(key, delta=1) -> add delta (an absent key counts as 0); return\n"
	 "the value before.  Wraps around at 64 bits."},
	{"sub", (PyCFunction)(void (*)(void))Map_sub, METH_FASTCALL,
	 "sub(key, delta=1) -> subtract delta (an absent key counts as 0);\n"
	 "return the value before."},
	{"band", (PyCFunction)(void (*)(void))Map_band, METH_FASTCALL,
	 "band(key, mask) -> bitwise and; return the value before (absent\n"
	 "counts as 0)."},
	{"bor", (PyCFunction)(void (*)(void))Map_bor, METH_FASTCALL,
	 "bor(key, mask) -> bitwise or; return the value before (absent counts\n"
	 "as 0)."},
	{"bxor", (PyCFunction)(void (*)(void))Map_bxor, METH_FASTCALL,
	 "bxor(key, mask) -> bitwise xor; return the value before (absent\n"
	 "counts as 0)."},
	{"swap", (PyCFunction)(void (*)(void))Map_swap, METH_FASTCALL,
	 "swap(key, value) -> store value; return the value before (absent\n"
	 "counts as 0)."},
	{"capacity", (PyCFunction)Map_capacity, METH_NOARGS,
	 "capacity() -> the keys the map holds before it next grows."},
	{"clear", (PyCFunction)Map_clear, METH_NOARGS,
	 "clear() -> remove every key (key by key: not atomic as a whole)."},
	{NULL, NULL, 0, NULL}
};

static PyGetSetDef Map_getset[] = {
	{"closed", (getter)Map_get_closed, NULL, "True once closed.", NULL},
	{"_address", (getter)Map_get_address, NULL,
	 "The struct satomic_map pointer, for ctypes callers.", NULL},
	{NULL, NULL, NULL, NULL, NULL}
};

static PyMappingMethods Map_as_mapping = {
	.mp_length = (lenfunc)Map_length,
	.mp_subscript = (binaryfunc)Map_subscript,
	.mp_ass_subscript = (objobjargproc)Map_ass_subscript,
};

static PySequenceMethods Map_as_sequence = {
	.sq_contains = (objobjproc)Map_contains,
};

static PyTypeObject MapType = {
	PyVarObject_HEAD_INIT(NULL, 0)
	.tp_name = "sharedatomic._native.Map",
	.tp_basicsize = sizeof(MapObject),
	.tp_dealloc = (destructor)Map_dealloc,
	.tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
	.tp_doc = "The C core of AtomicDict: an open libsharedatomic map.",
	.tp_iter = (getiterfunc)Map_iter,
	.tp_methods = Map_methods,
	.tp_getset = Map_getset,
	.tp_as_mapping = &Map_as_mapping,
	.tp_as_sequence = &Map_as_sequence,
	.tp_new = Map_new,
};

/* ------------------------------------------------------------------------
 * Value: one atomic word in its own region.  kind: 0 int64, 1 uint64,
 * 2 double, 3 bool (a byte).
 */

enum { K_I64, K_U64, K_F64, K_BOOL };

/*
 * The kind a region was created for, in its second word (written before
 * the name appears): "SATOMIC" and the kind in the low byte.  A region
 * without the mark (made by C, or by a version before the mark) opens as
 * any kind, as before.
 */
#define KIND_MARK 0x5341544f4d494300ull
#define KIND_MARK_OF(kind) (KIND_MARK | (uint64_t)(kind))

static const char *kind_name(uint64_t kind)
{
	static const char *const names[] = {
		"an AtomicInt", "an AtomicUInt", "an AtomicFloat", "an AtomicBool",
	};

	return kind < sizeof(names) / sizeof(names[0]) ? names[kind] : "another type";
}

typedef struct {
	PyObject_HEAD
	struct satomic_region *region;
	void *ptr;
	int kind;
} ValueObject;

static PyTypeObject ValueType;

static void *value_ptr(ValueObject *self)
{
	if (self->ptr == NULL)
		PyErr_Format(PyExc_ValueError, "operation on a closed %.100s",
			     Py_TYPE(self)->tp_name);
	return self->ptr;
}

static PyObject *Value_new(PyTypeObject *type, PyObject *args, PyObject *kw)
{
	(void)args; (void)kw;
	return type->tp_alloc(type, 0);
}

static void Value_dealloc(ValueObject *self)
{
	if (self->region)
		satomic_region_close(self->region);
	Py_TYPE(self)->tp_free((PyObject *)self);
}

/*
 * _attach(name, kind, create): create (1) or open (0) the region.  A region
 * it creates is not yet published (SATOMIC_REGION_UNPUBLISHED): nobody else
 * can open it until the caller has written the initial value and called
 * _publish(), so no opener ever reads the 0 of a fresh region.
 */
static PyObject *Value_attach(ValueObject *self, PyObject *const *args, Py_ssize_t n)
{
	const char *name;
	long kind, create;
	int err;
	struct satomic_region *region;
	uint64_t *mark, seen;

	if (!nargs(n, 3, "_attach(name, kind, create)"))
		return NULL;
	if (self->region) {
		PyErr_SetString(PyExc_ValueError, "already open");
		return NULL;
	}
	name = PyUnicode_AsUTF8(args[0]);
	if (name == NULL)
		return NULL;
	kind = PyLong_AsLong(args[1]);
	create = PyLong_AsLong(args[2]);
	if (PyErr_Occurred())
		return NULL;
	Py_BEGIN_ALLOW_THREADS
	if (create)
		err = satomic_region_create(name, 64, 0,
					    SATOMIC_REGION_UNPUBLISHED, &region);
	else
		err = satomic_region_open(name, 0, &region);
	Py_END_ALLOW_THREADS
	if (err < 0)
		return create ? raise_err(err, args[0])
			      : raise_open_err(err, args[0], SATOMIC_REGION_KIND_RAW,
					       kind_name((uint64_t)kind));
	if (satomic_region_size(region) < 8) {
		satomic_region_close(region);
		PyErr_Format(PyExc_ValueError, "%S: region too small for a value", args[0]);
		return NULL;
	}
	mark = (uint64_t *)satomic_region_data(region) + 1;
	if (satomic_region_size(region) < 16) {
		/* a region made by C for one word: no room for a mark */
	} else if (create) {
		__atomic_store_n(mark, KIND_MARK_OF(kind), __ATOMIC_RELAXED);
	} else if (((seen = __atomic_load_n(mark, __ATOMIC_RELAXED)) & ~0xffull) == KIND_MARK &&
		   seen != KIND_MARK_OF(kind)) {
		satomic_region_close(region);
		PyErr_Format(PyExc_TypeError, "%S holds %s, not %s", args[0],
			     kind_name(seen & 0xff), kind_name((uint64_t)kind));
		return NULL;
	}
	self->region = region;
	self->ptr = satomic_region_data(region);
	self->kind = (int)kind;
	Py_RETURN_NONE;
}

/*
 * _publish(name): link the name of the region _attach created, with the
 * value written (name is for the error message).  FileExistsError if the
 * name exists by then (the region stays unpublished; _close removes it).
 */
static PyObject *Value_publish(ValueObject *self, PyObject *name)
{
	int err;

	if (value_ptr(self) == NULL)
		return NULL;
	Py_BEGIN_ALLOW_THREADS
	err = satomic_region_publish(self->region);
	Py_END_ALLOW_THREADS
	if (err < 0)
		return raise_err(err, name);
	Py_RETURN_NONE;
}

static PyObject *Value_close(ValueObject *self, PyObject *unused)
{
	(void)unused;
	if (self->region)
		satomic_region_close(self->region);
	self->region = NULL;
	self->ptr = NULL;
	Py_RETURN_NONE;
}

static PyObject *Value_get_closed(ValueObject *self, void *unused)
{
	(void)unused;
	return PyBool_FromLong(self->ptr == NULL);
}

/* The argument as the value's type; -1 on error. */
typedef union { int64_t i; uint64_t u; double f; uint8_t b; } word;

static int value_arg(ValueObject *self, PyObject *o, word *w)
{
	switch (self->kind) {
	case K_I64:
		return arg_i64(o, &w->i, "value");
	case K_U64: {
		unsigned long long v;

		if (!PyLong_Check(o)) {
			PyErr_Format(PyExc_TypeError, "value must be an int, not %.100s",
				     Py_TYPE(o)->tp_name);
			return -1;
		}
		if (_PyLong_Sign(o) < 0) {
			PyErr_Format(PyExc_OverflowError,
				     "value %S does not fit in an unsigned 64-bit integer", o);
			return -1;
		}
		v = PyLong_AsUnsignedLongLong(o);
		if (v == (unsigned long long)-1 && PyErr_Occurred()) {
			PyErr_Clear();
			PyErr_Format(PyExc_OverflowError,
				     "value %S does not fit in an unsigned 64-bit integer", o);
			return -1;
		}
		w->u = v;
		return 0;
	}
	case K_F64:
		if (PyBool_Check(o) || !(PyFloat_Check(o) || PyLong_Check(o))) {
			PyErr_Format(PyExc_TypeError, "value must be a float, not %.100s",
				     Py_TYPE(o)->tp_name);
			return -1;
		}
		w->f = PyFloat_AsDouble(o);
		return w->f == -1.0 && PyErr_Occurred() ? -1 : 0;
	default: {
		int overflow;
		long v = PyLong_Check(o) ? PyLong_AsLongAndOverflow(o, &overflow) : -1;

		if (v != 0 && v != 1) {
			PyErr_Clear();
			PyErr_Format(PyExc_TypeError, "value must be a bool, not %R", o);
			return -1;
		}
		w->b = (uint8_t)v;
		return 0;
	}
	}
}

static PyObject *value_out(ValueObject *self, word w)
{
	switch (self->kind) {
	case K_I64: return PyLong_FromLongLong(w.i);
	case K_U64: return PyLong_FromUnsignedLongLong(w.u);
	case K_F64: return PyFloat_FromDouble(w.f);
	default: return PyBool_FromLong(w.b);
	}
}

static word value_load(ValueObject *self)
{
	word w;

	switch (self->kind) {
	case K_I64: w.i = satomic_load_i64(self->ptr); break;
	case K_U64: w.u = satomic_load_u64(self->ptr); break;
	case K_F64: w.f = satomic_load_f64(self->ptr); break;
	default: w.b = satomic_load_u8(self->ptr); break;
	}
	return w;
}

static PyObject *Value_get(ValueObject *self, PyObject *unused)
{
	(void)unused;
	if (value_ptr(self) == NULL)
		return NULL;
	return value_out(self, value_load(self));
}

static PyObject *Value_set(ValueObject *self, PyObject *arg)
{
	word w;

	if (value_ptr(self) == NULL || value_arg(self, arg, &w))
		return NULL;
	switch (self->kind) {
	case K_I64: satomic_store_i64(self->ptr, w.i); break;
	case K_U64: satomic_store_u64(self->ptr, w.u); break;
	case K_F64: satomic_store_f64(self->ptr, w.f); break;
	default: satomic_store_u8(self->ptr, w.b); break;
	}
	Py_RETURN_NONE;
}

static PyObject *Value_exchange(ValueObject *self, PyObject *arg)
{
	word w;

	if (value_ptr(self) == NULL || value_arg(self, arg, &w))
		return NULL;
	switch (self->kind) {
	case K_I64: w.i = satomic_exchange_i64(self->ptr, w.i); break;
	case K_U64: w.u = satomic_exchange_u64(self->ptr, w.u); break;
	case K_F64: w.f = satomic_exchange_f64(self->ptr, w.f); break;
	default: w.b = satomic_exchange_u8(self->ptr, w.b); break;
	}
	return value_out(self, w);
}

static PyObject *Value_cas(ValueObject *self, PyObject *const *args, Py_ssize_t n)
{
	word e, d;
	bool ok;

	if (!nargs(n, 2, "compare_and_set(expected, new)"))
		return NULL;
	if (value_ptr(self) == NULL || value_arg(self, args[0], &e) ||
	    value_arg(self, args[1], &d))
		return NULL;
	switch (self->kind) {
	case K_I64: ok = satomic_cas_i64(self->ptr, &e.i, d.i); break;
	case K_U64: ok = satomic_cas_u64(self->ptr, &e.u, d.u); break;
	case K_F64: ok = satomic_cas_f64(self->ptr, &e.f, d.f); break;
	default: ok = satomic_cas_u8(self->ptr, &e.b, d.b); break;
	}
	return PyBool_FromLong(ok);
}

/* The integer read-modify-writes: OP_fetch returns the new value,
 * fetch_OP the old one. */
/* An operand of a read-modify-write: as value_arg, but an unsigned value's
 * operand may be negative, as in C (u += -1 subtracts one: -1 is 2^64 - 1). */
static int rmw_arg(ValueObject *self, PyObject *o, word *w)
{
	if (self->kind == K_U64 && PyLong_Check(o) && _PyLong_Sign(o) < 0)
		return arg_i64(o, &w->i, "operand");
	return value_arg(self, o, w);
}

#define VALUE_RMW(OP) \
static PyObject *Value_##OP##_fetch(ValueObject *self, PyObject *arg) \
{ \
	word w; \
	if (value_ptr(self) == NULL || rmw_arg(self, arg, &w)) \
		return NULL; \
	if (self->kind == K_I64) \
		w.i = satomic_##OP##_fetch_i64(self->ptr, w.i); \
	else if (self->kind == K_U64) \
		w.u = satomic_##OP##_fetch_u64(self->ptr, w.u); \
	else { \
		PyErr_SetString(PyExc_TypeError, "not an integer value"); \
		return NULL; \
	} \
	return value_out(self, w); \
} \
static PyObject *Value_fetch_##OP(ValueObject *self, PyObject *arg) \
{ \
	word w; \
	if (value_ptr(self) == NULL || rmw_arg(self, arg, &w)) \
		return NULL; \
	if (self->kind == K_I64) \
		w.i = satomic_fetch_##OP##_i64(self->ptr, w.i); \
	else if (self->kind == K_U64) \
		w.u = satomic_fetch_##OP##_u64(self->ptr, w.u); \
	else { \
		PyErr_SetString(PyExc_TypeError, "not an integer value"); \
		return NULL; \
	} \
	return value_out(self, w); \
}
VALUE_RMW(add) VALUE_RMW(sub) VALUE_RMW(and) VALUE_RMW(or) VALUE_RMW(xor)
VALUE_RMW(nand)

static PyObject *Value_fetch_add_f64(ValueObject *self, PyObject *arg)
{
	word w;

	if (value_ptr(self) == NULL || value_arg(self, arg, &w))
		return NULL;
	if (self->kind != K_F64) {
		PyErr_SetString(PyExc_TypeError, "not a float value");
		return NULL;
	}
	w.f = satomic_fetch_add_f64(self->ptr, w.f);
	return value_out(self, w);
}

#define RMW_DEFS(OP) \
	{#OP "_and_fetch", (PyCFunction)Value_##OP##_fetch, METH_O, \
	 #OP "_and_fetch(n) -> " #OP " n atomically; return the new value."}, \
	{"fetch_and_" #OP, (PyCFunction)Value_fetch_##OP, METH_O, \
	 "fetch_and_" #OP "(n) -> " #OP " n atomically; return the old value."},

static PyMethodDef Value_methods[] = {
	{"_attach", (PyCFunction)(void (*)(void))Value_attach, METH_FASTCALL,
	 "_attach(name, kind, create): create (unpublished) or open the value's\n"
	 "region."},
	{"_publish", (PyCFunction)Value_publish, METH_O,
	 "_publish(name): link the name of the region _attach created."},
	{"_close", (PyCFunction)Value_close, METH_NOARGS, "Detach."},
	{"get", (PyCFunction)Value_get, METH_NOARGS, "get() -> the value (atomic load)."},
	{"set", (PyCFunction)Value_set, METH_O, "set(value): store value (atomic)."},
	{"get_and_set", (PyCFunction)Value_exchange, METH_O,
	 "get_and_set(value) -> store value and return the one it replaced."},
	{"compare_and_set", (PyCFunction)(void (*)(void))Value_cas, METH_FASTCALL,
	 "compare_and_set(expected, new) -> store new if the value is expected;\n"
	 "True if it did."},
	{"_fetch_add_float", (PyCFunction)Value_fetch_add_f64, METH_O,
	 "fetch_and_add of a float value: return the old value."},
	{NULL, NULL, 0, NULL}
};

static PyGetSetDef Value_getset[] = {
	{"closed", (getter)Value_get_closed, NULL, "True once closed.", NULL},
	{NULL, NULL, NULL, NULL, NULL}
};

static PyTypeObject ValueType = {
	PyVarObject_HEAD_INIT(NULL, 0)
	.tp_name = "sharedatomic._native.Value",
	.tp_basicsize = sizeof(ValueObject),
	.tp_dealloc = (destructor)Value_dealloc,
	.tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
	.tp_doc = "The C core of the atomic values: one word in a shared region.",
	.tp_methods = Value_methods,
	.tp_getset = Value_getset,
	.tp_new = Value_new,
};

static PyMethodDef IntValue_methods[] = {
	RMW_DEFS(add) RMW_DEFS(sub) RMW_DEFS(and) RMW_DEFS(or) RMW_DEFS(xor)
	RMW_DEFS(nand)
	{NULL, NULL, 0, NULL}
};

static PyTypeObject IntValueType = {
	PyVarObject_HEAD_INIT(NULL, 0)
	.tp_name = "sharedatomic._native.IntValue",
	.tp_basicsize = sizeof(ValueObject),
	.tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
	.tp_doc = "The C core of the atomic integers.",
	.tp_methods = IntValue_methods,
	.tp_base = &ValueType,
};

/* ------------------------------------------------------------------------ */

static PyObject *mod_map_unlink(PyObject *mod, PyObject *arg)
{
	const char *name = PyUnicode_AsUTF8(arg);
	int err;

	(void)mod;
	if (name == NULL)
		return NULL;
	err = satomic_map_unlink(name);
	if (err < 0)
		return raise_err(err, arg);
	Py_RETURN_NONE;
}

static PyObject *mod_region_unlink(PyObject *mod, PyObject *arg)
{
	const char *name = PyUnicode_AsUTF8(arg);
	int err;

	(void)mod;
	if (name == NULL)
		return NULL;
	err = satomic_region_unlink(name);
	if (err < 0)
		return raise_err(err, arg);
	Py_RETURN_NONE;
}

static PyMethodDef module_methods[] = {
	{"map_unlink", mod_map_unlink, METH_O, "map_unlink(name): remove a map's name."},
	{"region_unlink", mod_region_unlink, METH_O,
	 "region_unlink(name): remove a region's name."},
	{NULL, NULL, 0, NULL}
};

static struct PyModuleDef native_module = {
	PyModuleDef_HEAD_INIT,
	.m_name = "sharedatomic._native",
	.m_doc = "The C core of sharedatomic (see help(sharedatomic)).",
	.m_size = -1,
	.m_methods = module_methods,
};

PyMODINIT_FUNC PyInit__native(void);

PyMODINIT_FUNC PyInit__native(void)
{
	PyObject *m;

	if (PyType_Ready(&MapType) < 0 || PyType_Ready(&MapIterType) < 0 ||
	    PyType_Ready(&ValueType) < 0 ||
	    PyType_Ready(&IntValueType) < 0)
		return NULL;
	m = PyModule_Create(&native_module);
	if (m == NULL)
		return NULL;
	MapFullError = PyErr_NewExceptionWithDoc("sharedatomic.MapFullError",
		"The map holds as many keys as it may (its max_capacity), or the\n"
		"shared-memory file system under it is full.  Nothing was lost.",
		PyExc_MemoryError, NULL);
	if (MapFullError == NULL ||
	    PyModule_AddObjectRef(m, "MapFullError", MapFullError) < 0 ||
	    PyModule_AddObjectRef(m, "Map", (PyObject *)&MapType) < 0 ||
	    PyModule_AddObjectRef(m, "Value", (PyObject *)&ValueType) < 0 ||
	    PyModule_AddObjectRef(m, "IntValue", (PyObject *)&IntValueType) < 0) {
		Py_DECREF(m);
		return NULL;
	}
	return m;
}
