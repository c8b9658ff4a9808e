# Warning and sanitizer flags applied to every safedesk target through safedesk_options.
add_library(safedesk_options INTERFACE)
target_compile_options(safedesk_options INTERFACE -Wall -Wextra -Wpedantic -Wshadow
  -Wnon-virtual-dtor -Wold-style-cast -Wcast-align -Wunused -Woverloaded-virtual
  -Wformat=2 -Wimplicit-fallthrough)
if(SAFEDESK_WERROR)
  target_compile_options(safedesk_options INTERFACE -Werror)
endif()
if(SAFEDESK_SANITIZE)
  target_compile_options(safedesk_options INTERFACE -fsanitize=address,undefined
    -fno-sanitize-recover=all -fno-omit-frame-pointer)
  target_link_options(safedesk_options INTERFACE -fsanitize=address,undefined)
endif()
