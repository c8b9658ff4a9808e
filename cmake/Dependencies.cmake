# Every third-party library comes from Debian 12's packages (scripts/setup.sh installs them).
find_package(PkgConfig REQUIRED)

# Boost.Asio and Beast change their types with these switches, so every target in the tree
# (libraries, tests, test helpers) is compiled with the same ones: one target built without
# them next to one built with them is an ODR violation (UBSan reports it as an invalid vptr).
add_compile_definitions(BOOST_ASIO_NO_DEPRECATED BOOST_BEAST_USE_STD_STRING_VIEW)
find_package(Threads REQUIRED)
find_package(OpenSSL 3 REQUIRED)
find_package(spdlog REQUIRED)
find_package(fmt REQUIRED)
find_package(GTest REQUIRED)
pkg_check_modules(TOMLPP REQUIRED IMPORTED_TARGET tomlplusplus)
pkg_check_modules(SQLITE3 REQUIRED IMPORTED_TARGET sqlite3)
