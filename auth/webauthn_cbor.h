#pragma once
// Internal to auth/webauthn*: a thin, bounded layer over libcbor. libcbor's loader trusts
// the counts it reads (a 10-byte input may announce a million-entry map and it allocates
// for it), so every buffer is first walked by ScanCborItem, which refuses indefinite
// lengths, containers over kMaxCborMapEntries, nesting over kMaxCborDepth and strings
// longer than the input; only then is it handed to cbor_load.

#include <cbor.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

struct cbor_item_t;  // libcbor's item (cbor/data.h)

namespace safedesk::auth::webauthn_cbor {

// attStmt → x5c → certificate is depth 3; a COSE key or extension map is depth 1-2.
inline constexpr std::size_t kMaxCborDepth = 6;

struct ItemDeleter {
  void operator()(cbor_item_t* item) const;
};
using Item = std::unique_ptr<cbor_item_t, ItemDeleter>;

// The size of the one well-formed, bounded item at the start of `data`, or nullopt.
std::optional<std::size_t> ScanCborItem(std::span<const std::uint8_t> data);

struct LoadedItem {
  Item item;
  std::size_t size = 0;  // bytes of `data` the item occupies
};
// Scans then loads the item at the start of `data`.
std::optional<LoadedItem> LoadCborPrefix(std::span<const std::uint8_t> data);
// Like LoadCborPrefix but the item must fill `data` exactly.
Item LoadCborExact(std::span<const std::uint8_t> data);

std::optional<std::string_view> TextOf(const cbor_item_t* item);
std::optional<std::span<const std::uint8_t>> BytesOf(const cbor_item_t* item);
// Unsigned and negative integers that fit an int64.
std::optional<std::int64_t> IntOf(const cbor_item_t* item);
std::optional<bool> BoolOf(const cbor_item_t* item);
std::vector<std::uint8_t> Serialize(const cbor_item_t* item);

// The value under text key `key` in a definite map, or nullptr.
const cbor_item_t* FindText(const cbor_item_t* map, std::string_view key);
// The value under integer key `key` in a definite map, or nullptr.
const cbor_item_t* FindInt(const cbor_item_t* map, std::int64_t key);
// True when no two keys of the map are equal (the formats forbid duplicates, and a
// duplicate would let two readers see different values).
bool KeysUnique(const cbor_item_t* map);

}  // namespace safedesk::auth::webauthn_cbor
