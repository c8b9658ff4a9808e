# Every third-party library comes from Debian 12's packages (scripts/setup.sh installs them).
find_package(PkgConfig REQUIRED)

# Boost.Asio changes its types with this switch, so every target in the tree (libraries,
# tests, test helpers) is compiled with it: one target built without it next to one built
# with it is an ODR violation (UBSan reported it as an invalid vptr). (Beast 1.81's
# string_view is boost::core::string_view whatever BOOST_BEAST_USE_STD_STRING_VIEW says;
# that switch only prints a deprecation note, so it is not set.)
add_compile_definitions(BOOST_ASIO_NO_DEPRECATED)
find_package(Threads REQUIRED)
find_package(OpenSSL 3 REQUIRED)
find_package(spdlog REQUIRED)
find_package(fmt REQUIRED)
find_package(GTest REQUIRED)
pkg_check_modules(TOMLPP REQUIRED IMPORTED_TARGET tomlplusplus)
pkg_check_modules(SQLITE3 REQUIRED IMPORTED_TARGET sqlite3)
