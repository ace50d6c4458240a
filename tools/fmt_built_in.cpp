// fmt's compiled functions (the part libfmt.so holds), built into the lean executables so that they load no shared
// library but libc (tools/meson.build says why). The header defines the non-template functions; the two templates
// format.h declares `extern` for char are instantiated here. Nothing else may link this and libfmt.so together.
#include <fmt/format-inl.h>

FMT_BEGIN_NAMESPACE
namespace detail {
template auto thousands_sep_impl<char>(locale_ref) -> thousands_sep_result<char>;
template auto decimal_point_impl<char>(locale_ref) -> char;
} // namespace detail
FMT_END_NAMESPACE
