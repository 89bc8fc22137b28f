# bpf_object(NAME SOURCE [DEPENDS headers...])
# Compiles SOURCE with clang -target bpf, generates NAME.skel.h with
# `bpftool gen skeleton` and exposes an INTERFACE target NAME_skel whose
# include directory holds the skeleton.
find_program(BPF_CLANG NAMES clang clang-16 clang-15 clang-14 REQUIRED)
find_program(BPFTOOL NAMES bpftool PATHS /usr/sbin /usr/local/sbin REQUIRED)

execute_process(COMMAND uname -m OUTPUT_VARIABLE XV_UNAME_M OUTPUT_STRIP_TRAILING_WHITESPACE)
if(XV_UNAME_M STREQUAL "x86_64")
  set(XV_BPF_ARCH x86)
elseif(XV_UNAME_M MATCHES "aarch64|arm64")
  set(XV_BPF_ARCH arm64)
else()
  set(XV_BPF_ARCH ${XV_UNAME_M})
endif()
execute_process(COMMAND gcc -print-multiarch OUTPUT_VARIABLE XV_MULTIARCH
                OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)

function(bpf_object name src)
  cmake_parse_arguments(BO "" "" "DEPENDS" ${ARGN})
  set(out_dir ${CMAKE_BINARY_DIR}/bpf)
  set(obj ${out_dir}/${name}.bpf.o)
  set(skel ${out_dir}/${name}.skel.h)
  file(MAKE_DIRECTORY ${out_dir})
  add_custom_command(
    OUTPUT ${obj}
    COMMAND ${BPF_CLANG} -g -O2 -target bpf -D__TARGET_ARCH_${XV_BPF_ARCH}
            -Wall -Werror
            -I${PROJECT_SOURCE_DIR}/include -I${PROJECT_SOURCE_DIR}/bpf
            -I/usr/include/${XV_MULTIARCH}
            -c ${CMAKE_CURRENT_SOURCE_DIR}/${src} -o ${obj}
    DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/${src} ${BO_DEPENDS}
    COMMENT "BPF ${src}"
    VERBATIM)
  add_custom_command(
    OUTPUT ${skel}
    COMMAND ${BPFTOOL} gen skeleton ${obj} name ${name} > ${skel}
    DEPENDS ${obj}
    COMMENT "skeleton ${name}.skel.h"
    VERBATIM)
  add_custom_target(${name}_skel_gen DEPENDS ${skel})
  add_library(${name}_skel INTERFACE)
  add_dependencies(${name}_skel ${name}_skel_gen)
  target_include_directories(${name}_skel INTERFACE ${out_dir})
  set(${name}_OBJECT ${obj} PARENT_SCOPE)
endfunction()
